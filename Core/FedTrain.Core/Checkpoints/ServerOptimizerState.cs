using System.Globalization;
using FedTrain.Core.Models;
using FedTrain.Core.Strategies;

namespace FedTrain.Core.Checkpoints;

/// <summary>
/// What a server optimizer carries from round to round (FedAvgM's velocity; FedAdam's, FedYogi's and FedAdagrad's two
/// moments; the step count), as a safetensors file beside a round's checkpoint. Without it a restarted coordinator
/// would step the resumed model with fresh moments: a different trajectory from the run that was not interrupted,
/// and for the adaptive rules a jump (v back at τ², so the first step after the restart is η·m/τ-sized).
/// </summary>
public static class ServerOptimizerState
{
    private const string KindKey = "server_optimizer";
    private const string StepKey = "step_count";

    /// <summary>Whether <paramref name="optimizer"/> has state beyond its step count (plain FedAvg's server SGD has none).</summary>
    public static bool HasState(IServerOptimizer optimizer) => optimizer is FedAvgM or AdaptiveServerOptimizer;

    /// <summary>Writes the state atomically; <paramref name="metadata"/> (run, round) goes into the header beside the optimizer's name and step.</summary>
    /// <param name="beforeReplacing">As for <see cref="AtomicFile.Write"/>: a fenced writer's lease check.</param>
    /// <exception cref="ArgumentException">The optimizer has no state to write (<see cref="HasState"/>).</exception>
    public static void Write(string path, IServerOptimizer optimizer, IReadOnlyDictionary<string, string> metadata, Action? beforeReplacing = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(metadata);
        var header = new Dictionary<string, string>(metadata, StringComparer.Ordinal)
        {
            [KindKey] = optimizer.GetType().Name,
            [StepKey] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture),
        };
        switch (optimizer)
        {
            case FedAvgM momentum:
                SafetensorsFile.Write(path, Manifest(momentum.Length, "velocity"), _ => momentum.Velocity, header, beforeReplacing: beforeReplacing);
                break;
            case AdaptiveServerOptimizer adaptive:
                SafetensorsFile.Write(
                    path, Manifest(adaptive.Length, "first_moment", "second_moment"), i => i == 0 ? adaptive.FirstMoment : adaptive.SecondMoment, header,
                    beforeReplacing: beforeReplacing);
                break;
            default:
                throw new ArgumentException($"{optimizer.GetType().Name} keeps no state to checkpoint.", nameof(optimizer));
        }
    }

    /// <summary>Puts the state written by <see cref="Write"/> back into <paramref name="optimizer"/>; returns its step count.</summary>
    /// <exception cref="InvalidDataException">The file holds another optimizer's state, or state of another size, or is damaged.</exception>
    public static long Restore(string path, IServerOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var metadata = SafetensorsFile.ReadMetadata(path);
        string kind = metadata.GetValueOrDefault(KindKey, "(none)");
        if (kind != optimizer.GetType().Name)
        {
            throw new InvalidDataException($"{path} holds the state of server optimizer {kind}; this run's is {optimizer.GetType().Name}.");
        }

        if (!long.TryParse(metadata.GetValueOrDefault(StepKey), NumberStyles.None, CultureInfo.InvariantCulture, out long step))
        {
            throw new InvalidDataException($"{path} has no valid {StepKey} in its metadata.");
        }

        switch (optimizer)
        {
            case FedAvgM momentum:
                momentum.RestoreState(SafetensorsFile.Read(path, Manifest(momentum.Length, "velocity")), step);
                break;
            case AdaptiveServerOptimizer adaptive:
                var moments = SafetensorsFile.Read(path, Manifest(adaptive.Length, "first_moment", "second_moment"));
                adaptive.RestoreState(moments.AsSpan(0, adaptive.Length), moments.AsSpan(adaptive.Length), step);
                break;
            default:
                throw new InvalidDataException($"{optimizer.GetType().Name} keeps no state to restore.");
        }

        return step;
    }

    private static ParameterManifest Manifest(int length, params string[] names) =>
        new([.. names.Select((name, i) => new TensorInfo(name, [length], (long)i * length))]);
}
