namespace FedTrain.Worker;

/// <summary>Fetching the run's TorchScript module before a model is built from an assignment.</summary>
public sealed partial class WorkerAgent
{
    private ModuleCache? _modules;

    /// <summary>For a torchscript spec, the same spec pointing at the verified local copy of its archive.</summary>
    /// <exception cref="UntrustedModuleException">The owner has not trusted the module (see <see cref="WorkerOptions.TrustedModules"/>).</exception>
    private async Task<Core.Models.ModelSpec> ResolveModuleAsync(Core.Models.ModelSpec spec, string runId, CancellationToken cancellationToken)
    {
        if (spec.Kind != Core.Models.ModelSpec.TorchScriptKind)
        {
            // Zoo models are data only: the worker builds them from its own code.
            return spec;
        }

        // TorchScript is code. The trust check comes first, before any byte of the module is fetched, let alone loaded;
        // the hash the coordinator names is checked again against the bytes it sends (ModuleCache).
        string sha256 = spec.ModuleSha256 is { } named && WorkerOptions.IsSha256(named)
            ? named.ToLowerInvariant()
            : throw new UntrustedModuleException($"refused a TorchScript model whose module hash '{spec.ModuleSha256}' is not a SHA-256");
        if (!_options.TrustedModules.Contains(sha256))
        {
            throw UntrustedModuleException.For(sha256);
        }

        _modules ??= new ModuleCache(Path.Combine(_options.StateDirectory ?? Path.Combine(Path.GetTempPath(), "fedtrain-worker"), "modules"));
        string path = await _modules.EnsureAsync(_channel, _options.WorkerId, runId, sha256, cancellationToken).ConfigureAwait(false);
        return spec with { Module = path };
    }
}
