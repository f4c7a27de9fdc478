using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Jobs;

/// <summary>
/// Runs one claimed job: resolves its handler in a fresh DI scope, keeps the lease alive with a
/// heartbeat while the handler runs, and records the outcome through the fenced lease operations.
/// Never throws: every failure ends as a recorded job state or a log line.
/// </summary>
internal sealed partial class JobExecutor(
    IServiceScopeFactory scopes,
    JobLeases leases,
    TimeProvider clock,
    IOptions<JobsOptions> options,
    ILogger<JobExecutor> logger)
{
    /// <param name="job">The claim.</param>
    /// <param name="abort">Fires when the host's shutdown timeout ran out, after the worker released the job itself.</param>
    public async Task RunAsync(ClaimedJob job, CancellationToken abort)
    {
        try
        {
            if (job.Attempt > job.MaxAttempts)
            {
                // The previous owner's lease expired during the final attempt: the worker died or the
                // handler outran its lease every time. Do not run it again unasked.
                await RecordFailureAsync(job, "The lease expired during the final attempt (the worker stopped or lost the database) and no attempts are left.");
                return;
            }

            await RunHandlerAsync(job, abort);
        }
        catch (Exception ex)
        {
            LogRecordingFailed(logger, ex, job.Id, job.Kind, job.Attempt);
        }
    }

    private async Task RunHandlerAsync(ClaimedJob job, CancellationToken abort)
    {
        using var leaseLost = new CancellationTokenSource();
        using var run = CancellationTokenSource.CreateLinkedTokenSource(abort, leaseLost.Token);
        using var stopHeartbeat = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(job, leaseLost, stopHeartbeat.Token);
        var started = clock.GetTimestamp();
        Exception? failure = null;
        try
        {
            LogStarted(logger, job.Id, job.Kind, job.Attempt, job.MaxAttempts, job.WorkerId);
            await using var scope = scopes.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetKeyedService<IJobHandler>(job.Kind)
                ?? throw new UnknownJobKindException(job.Kind);
            await handler.HandleAsync(ToContext(job), run.Token);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
        }

        var elapsed = clock.GetElapsedTime(started).TotalMilliseconds;
        if (leaseLost.IsCancellationRequested)
        {
            LogLeaseLost(logger, job.Id, job.Kind, job.Attempt);
        }
        else if (failure is OperationCanceledException && abort.IsCancellationRequested)
        {
            LogAbortedByShutdown(logger, job.Id, job.Kind, job.Attempt);
        }
        else if (failure is null)
        {
            if (await leases.SucceedAsync(job, CancellationToken.None))
            {
                LogSucceeded(logger, job.Id, job.Kind, job.Attempt, elapsed);
            }
            else
            {
                LogCompletionFenced(logger, job.Id, job.Kind, job.Attempt);
            }
        }
        else
        {
            await RecordFailureAsync(job, $"{failure.GetType().FullName}: {failure.Message}", failure, elapsed);
        }
    }

    private async Task RecordFailureAsync(ClaimedJob job, string error, Exception? failure = null, double elapsedMs = 0)
    {
        var jobs = options.Value;
        DateTimeOffset? retryAt = job.Attempt >= job.MaxAttempts
            ? null
            : clock.GetUtcNow() + RetryBackoff.After(job.Attempt, jobs.RetryBaseDelay, jobs.RetryMaxDelay);
        if (!await leases.FailAsync(job, error, retryAt, CancellationToken.None))
        {
            LogCompletionFenced(logger, job.Id, job.Kind, job.Attempt);
        }
        else if (retryAt is { } due)
        {
            LogWillRetry(logger, job.Id, job.Kind, job.Attempt, job.MaxAttempts, failure?.GetType().Name ?? "LeaseExpired", elapsedMs, due);
        }
        else
        {
            LogDeadLettered(logger, job.Id, job.Kind, job.Attempt, failure?.GetType().Name ?? "LeaseExpired");
        }
    }

    /// <summary>Renews the lease until stopped; cancels <paramref name="leaseLost"/> when the claim is gone.</summary>
    private async Task HeartbeatAsync(ClaimedJob job, CancellationTokenSource leaseLost, CancellationToken stop)
    {
        var jobs = options.Value;
        try
        {
            while (true)
            {
                await Task.Delay(jobs.HeartbeatInterval, clock, stop);
                try
                {
                    if (!await leases.RenewAsync(job, jobs.LeaseDuration, stop))
                    {
                        await leaseLost.CancelAsync();
                        return;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The database is unreachable for now. Keep trying: if the lease runs out meanwhile,
                    // the next renewal reports it lost and the handler is cancelled then.
                    LogHeartbeatFailed(logger, job.Id, ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // the handler finished
        }
    }

    private static JobContext ToContext(ClaimedJob job) =>
        new(job.Id, job.Kind, job.Attempt, job.MaxAttempts, job.IdempotencyKey ?? $"job:{job.Id}", job.WorkerId, job.Payload);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Debug, Message = "Job {JobId} ({Kind}) attempt {Attempt}/{MaxAttempts} started on {WorkerId}")]
    private static partial void LogStarted(ILogger logger, Guid jobId, string kind, int attempt, int maxAttempts, string workerId);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) succeeded on attempt {Attempt} in {ElapsedMs:0} ms")]
    private static partial void LogSucceeded(ILogger logger, Guid jobId, string kind, int attempt, double elapsedMs);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning,
        Message = "Job {JobId} ({Kind}) attempt {Attempt}/{MaxAttempts} failed with {ErrorType} after {ElapsedMs:0} ms; retrying at {RetryAt:O}")]
    private static partial void LogWillRetry(ILogger logger, Guid jobId, string kind, int attempt, int maxAttempts, string errorType, double elapsedMs, DateTimeOffset retryAt);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Error, Message = "Job {JobId} ({Kind}) dead-lettered after attempt {Attempt}: {ErrorType}")]
    private static partial void LogDeadLettered(ILogger logger, Guid jobId, string kind, int attempt, string errorType);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Warning,
        Message = "Job {JobId} ({Kind}) attempt {Attempt}: the lease was lost to another worker; this run's outcome is discarded")]
    private static partial void LogLeaseLost(ILogger logger, Guid jobId, string kind, int attempt);

    [LoggerMessage(EventId = 4015, Level = LogLevel.Warning,
        Message = "Job {JobId} ({Kind}) attempt {Attempt}: the outcome was not recorded because this worker no longer holds the lease")]
    private static partial void LogCompletionFenced(ILogger logger, Guid jobId, string kind, int attempt);

    [LoggerMessage(EventId = 4016, Level = LogLevel.Warning, Message = "Job {JobId} ({Kind}) attempt {Attempt} was cancelled by shutdown")]
    private static partial void LogAbortedByShutdown(ILogger logger, Guid jobId, string kind, int attempt);

    [LoggerMessage(EventId = 4017, Level = LogLevel.Warning, Message = "Job {JobId}: lease renewal failed ({ErrorType}); retrying")]
    private static partial void LogHeartbeatFailed(ILogger logger, Guid jobId, string errorType);

    [LoggerMessage(EventId = 4018, Level = LogLevel.Error, Message = "Job {JobId} ({Kind}) attempt {Attempt}: the outcome could not be recorded; the lease will expire and the job run again")]
    private static partial void LogRecordingFailed(ILogger logger, Exception exception, Guid jobId, string kind, int attempt);
}

/// <summary>A job whose kind no handler on this worker is registered for.</summary>
internal sealed class UnknownJobKindException(string kind)
    : InvalidOperationException($"No handler is registered for job kind '{kind}' on this worker.");
