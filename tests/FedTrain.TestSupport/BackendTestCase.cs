using System.ComponentModel;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace FedTrain.TestSupport;

/// <summary>A test case that is skipped, saying why, when its class needs PostgreSQL and none could start.</summary>
public sealed class BackendTestCase : XunitTestCase
{
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("For the deserializer only.")]
    public BackendTestCase()
    {
    }

    public BackendTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod)
        : base(sink, display, options, testMethod)
    {
    }

    // Worked out again after deserialisation too, so discovery and execution agree.
    protected override string GetSkipReason(IAttributeInfo factAttribute) =>
        typeof(IRequiresPostgres).IsAssignableFrom(TestMethod.TestClass.Class.ToRuntimeType())
            ? PostgresServer.UnavailableReason ?? base.GetSkipReason(factAttribute)
            : base.GetSkipReason(factAttribute);
}
