using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FedTrain.Telemetry;

/// <summary>
/// Process CPU use as observable instruments: cumulative CPU seconds, and the share of the machine's cores used
/// between two observations. GPU use is not measured: FedTrain has no GPU probe, so no GPU series is exported.
/// </summary>
public sealed class ProcessCpuInstruments
{
    private readonly Lock _lock = new();
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private TimeSpan _lastCpu;
    private TimeSpan _lastWall;

    private ProcessCpuInstruments()
    {
        _lastCpu = CpuTime();
    }

    /// <summary>Registers both instruments on <paramref name="meter"/>.</summary>
    public static void Register(Meter meter, InstrumentDefinition utilization, InstrumentDefinition time)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(utilization);
        ArgumentNullException.ThrowIfNull(time);
        var cpu = new ProcessCpuInstruments();
        meter.CreateObservableGauge(utilization.Name, cpu.Utilization, utilization.Unit, utilization.Description);
        meter.CreateObservableCounter(time.Name, () => CpuTime().TotalSeconds, time.Unit, time.Description);
    }

    private double Utilization()
    {
        lock (_lock)
        {
            var cpu = CpuTime();
            var wall = _wall.Elapsed;
            double elapsed = (wall - _lastWall).TotalSeconds * Environment.ProcessorCount;
            double used = (cpu - _lastCpu).TotalSeconds;
            _lastCpu = cpu;
            _lastWall = wall;
            return elapsed <= 0 ? 0 : Math.Clamp(used / elapsed, 0, 1);
        }
    }

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
