namespace FedTrain.Bench;

/// <summary>A benchmark suite: measures FedTrain's figures and, in the same run, the reference each is judged against.</summary>
public interface IBenchSuite
{
    /// <summary>The name on the command line, e.g. <c>aggregate</c>.</summary>
    string Name { get; }

    /// <summary>One line: what is measured against what.</summary>
    string Description { get; }

    IAsyncEnumerable<BenchRow> RunAsync(BenchContext context, CancellationToken cancellationToken);
}
