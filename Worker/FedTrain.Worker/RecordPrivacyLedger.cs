using System.Text.Json;
using FedTrain.Privacy;

namespace FedTrain.Worker;

/// <summary>
/// Each client's record-level (DP-SGD) privacy spend, kept in a file so a restarted worker goes on composing
/// from where it stopped instead of reporting a fresh, understated ε. Written atomically after every round.
/// </summary>
internal sealed class RecordPrivacyLedger
{
    private readonly string? _path;
    private readonly Dictionary<string, RdpAccountant> _accountants = new(StringComparer.Ordinal);

    /// <param name="path">The ledger file; null keeps the spend in memory only (it is then lost on restart).</param>
    public RecordPrivacyLedger(string? path)
    {
        _path = path;
        if (path is null || !File.Exists(path))
        {
            return;
        }

        var saved = JsonSerializer.Deserialize<Dictionary<string, List<SgmEvent>>>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path}: the record-level privacy ledger is empty.");
        foreach (var (client, history) in saved)
        {
            var accountant = new RdpAccountant();
            foreach (var step in history)
            {
                accountant.Compose(step.SamplingRate, step.NoiseMultiplier, checked((int)step.Steps));
            }

            _accountants[client] = accountant;
        }
    }

    /// <summary>Adds a round of DP-SGD for <paramref name="clientId"/>, saves the ledger, and returns the client's ε.</summary>
    public double Compose(string clientId, double samplingRate, double noiseMultiplier, long steps, double delta)
    {
        if (!_accountants.TryGetValue(clientId, out var accountant))
        {
            _accountants[clientId] = accountant = new RdpAccountant();
        }

        accountant.Compose(samplingRate, noiseMultiplier, checked((int)steps));
        Save();
        return accountant.GetEpsilon(delta);
    }

    private void Save()
    {
        if (_path is null)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        string temporary = _path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(_accountants.ToDictionary(a => a.Key, a => a.Value.History.ToList())));
        File.Move(temporary, _path, overwrite: true);
    }
}
