namespace FedTrain.Worker;

/// <summary>Fetching the run's TorchScript module before a model is built from an assignment.</summary>
public sealed partial class WorkerAgent
{
    private ModuleCache? _modules;

    /// <summary>For a torchscript spec, the same spec pointing at the verified local copy of its archive.</summary>
    private async Task<Core.Models.ModelSpec> ResolveModuleAsync(Core.Models.ModelSpec spec, string runId, CancellationToken cancellationToken)
    {
        if (spec.Kind != Core.Models.ModelSpec.TorchScriptKind || spec.ModuleSha256 is not { } sha256)
        {
            return spec;
        }

        _modules ??= new ModuleCache(Path.Combine(_options.StateDirectory ?? Path.Combine(Path.GetTempPath(), "fedtrain-worker"), "modules"));
        string path = await _modules.EnsureAsync(_channel, _options.WorkerId, runId, sha256, cancellationToken).ConfigureAwait(false);
        return spec with { Module = path };
    }
}
