using System.CommandLine;
using System.Globalization;
using FedTrain.Worker;

namespace FedTrain.Cli.Commands;

/// <summary>
/// <c>--trust-module SHA256</c> (repeatable) and <c>--trusted-modules-file FILE</c>: the TorchScript modules a worker's
/// owner allows it to run. TorchScript is code; without an entry the worker refuses the coordinator's module.
/// </summary>
internal sealed class TrustedModuleFlags
{
    private readonly Option<string[]> _trust = new("--trust-module")
    {
        Description = "Run the TorchScript module with this SHA-256 (hex) if the coordinator sends it; repeatable. "
            + "A TorchScript module is code that runs with the worker's rights; zoo models need no entry.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<string?> _file = new("--trusted-modules-file")
    {
        Description = "File of trusted TorchScript module SHA-256s, one a line; '#' starts a comment.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_trust);
        command.Options.Add(_file);
    }

    /// <summary>The trusted hashes, lower case.</summary>
    /// <exception cref="ArgumentException">A hash is malformed, or the file cannot be read; the message names the flag.</exception>
    public IReadOnlySet<string> Read(ParseResult parse)
    {
        var trusted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string hash in parse.GetValue(_trust) ?? [])
        {
            trusted.Add(WorkerOptions.IsSha256(hash.Trim())
                ? hash.Trim().ToLowerInvariant()
                : throw new ArgumentException($"--trust-module must be a SHA-256 (64 hex digits), got '{hash}'."));
        }

        if (parse.GetValue(_file) is { } path)
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--trusted-modules-file: cannot read '{path}': {ex.Message}", ex);
            }

            for (int i = 0; i < lines.Length; i++)
            {
                int comment = lines[i].IndexOf('#', StringComparison.Ordinal);
                string entry = (comment >= 0 ? lines[i][..comment] : lines[i]).Trim();
                if (entry.Length == 0)
                {
                    continue;
                }

                trusted.Add(WorkerOptions.IsSha256(entry)
                    ? entry.ToLowerInvariant()
                    : throw new ArgumentException(string.Create(
                        CultureInfo.InvariantCulture, $"--trusted-modules-file {path}, line {i + 1}: '{entry}' is not a SHA-256 (64 hex digits).")));
            }
        }

        return trusted;
    }
}
