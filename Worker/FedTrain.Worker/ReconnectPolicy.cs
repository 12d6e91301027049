using FedTrain.Rpc;
using Polly;
using Polly.Retry;

namespace FedTrain.Worker;

/// <summary>
/// Retries calls that failed because the coordinator was unreachable, with exponential backoff and jitter so a
/// restarted coordinator is not hit by every worker at the same instant.
/// </summary>
internal static class ReconnectPolicy
{
    public static ResiliencePipeline Create(TimeSpan giveUpAfter, Action<Exception, TimeSpan>? onRetry = null) =>
        // The timeout is added first so it is the outer strategy: it bounds all attempts together, not each one.
        new ResiliencePipelineBuilder()
            .AddTimeout(giveUpAfter)
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RpcException>(IsTransient),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(250),
                MaxDelay = TimeSpan.FromSeconds(5),
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
        exception.Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded;
}
