using Grpc.Core;
using Polly;
using Polly.Retry;

namespace FedTrain.Worker;

/// <summary>
/// Retries calls that failed because the coordinator was unreachable, with exponential backoff and jitter so a
/// restarted coordinator is not hit by every worker at the same instant.
/// </summary>
internal static class ReconnectPolicy
{
    public static ResiliencePipeline Create(TimeSpan giveUpAfter, Action<Exception, TimeSpan>? onRetry = null, Func<RpcException, bool>? retryOn = null) =>
        // The timeout is added first so it is the outer strategy: it bounds all attempts together, not each one.
        new ResiliencePipelineBuilder()
            .AddTimeout(giveUpAfter)
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RpcException>(retryOn ?? IsTransient),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(250),
                // A coordinator node takes over from a dead one within 2-3 s (docs/cluster.md); a longer cap would keep
                // its workers away for seconds after it listens (a 5 s cap cost up to 5 s more per failover). A
                // refused connection is cheap, and the jitter spreads a fleet's attempts.
                MaxDelay = TimeSpan.FromSeconds(2),
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is { } exception)
                    {
                        onRetry?.Invoke(exception, args.RetryDelay);
                    }

                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    public static bool IsTransient(RpcException exception) =>
        exception.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded;

    /// <summary>
    /// A coordinator that answers but fails (an internal error, a storage hiccup, a rate limit) is worth retrying
    /// too: a data owner's worker should not need a restart because the coordinator had a bad minute. What the
    /// worker itself got wrong (its credential, its arguments) is not, and ends the worker with the reason.
    /// </summary>
    public static bool IsRecoverable(RpcException exception) =>
        IsTransient(exception)
        || exception.StatusCode is StatusCode.Internal or StatusCode.Unknown or StatusCode.ResourceExhausted or StatusCode.Aborted;
}
