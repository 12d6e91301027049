using Xunit;
using Xunit.Sdk;

namespace FedTrain.TestSupport;

/// <summary>
/// A fact that runs against whichever store its class targets. In a class marked <see cref="IRequiresPostgres"/>
/// it is skipped, with the reason, when no PostgreSQL server can be started; otherwise it runs as a plain fact.
/// This lets one abstract contract suite declare its tests once for every backend.
/// </summary>
[XunitTestCaseDiscoverer("FedTrain.TestSupport.BackendFactDiscoverer", "FedTrain.TestSupport")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class BackendFactAttribute : FactAttribute;
