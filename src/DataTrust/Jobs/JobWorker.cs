using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DataTrust.Jobs;

/// <summary>
/// One worker: polls for due schedules and due jobs, claims as many jobs as it has free slots
/// (<c>Jobs:Concurrency</c>), and runs each on the thread pool. Shutdown is two steps:
/// <see cref="RunAsync"/> ends when told to stop claiming, then <see cref="DrainAsync"/> lets the running
/// handlers finish until the host's shutdown timeout and gives back to the queue whatever is still running then.
/// </summary>
internal sealed partial class JobWorker(
    JobLeases leases,
    JobExecutor executor,
    RecurringJobScheduler schedules,
    IOptions<JobsOptions> options,
    ILogger<JobWorker> logger)
{
    private static readonly TimeSpan MaxPollBackoff = TimeSpan.FromSeconds(30);

    // Keyed by claim, not by job: after a lost lease this worker may hold a new claim on the same job
    // while its old run is still winding down.
    private readonly ConcurrentDictionary<(Guid JobId, Guid LockToken), RunningJob> _running = new();
    private readonly Channel<bool> _slotFreed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Machine, process and a random suffix: unique among the instances sharing a database.</summary>
    public string Id { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    public int RunningCount => _running.Count;

    /// <summary>Claims and starts jobs until <paramref name="stopClaiming"/> fires.</summary>
    public async Task RunAsync(CancellationToken stopClaiming)
    {
        var jobs = options.Value;
        var schedulesWritten = false;
        var failedPolls = 0;
        LogStarted(logger, Id, jobs.Concurrency, jobs.PollInterval);
        while (!stopClaiming.IsCancellationRequested)
        {
            var filledEverySlot = false;
            var wait = jobs.PollInterval;
            try
            {
                // Database calls here are not cancelled mid-way: a claim committed on the server but
                // abandoned by the client would sit unrun until its lease expired.
                if (!schedulesWritten)
                {
                    await schedules.WriteDeclaredSchedulesAsync(CancellationToken.None);
                    schedulesWritten = true;
                }

                await schedules.EnqueueDueOccurrencesAsync(CancellationToken.None);
                var free = jobs.Concurrency - _running.Count;
                if (free > 0 && !stopClaiming.IsCancellationRequested)
                {
                    var claimed = await leases.ClaimAsync(Id, free, jobs.LeaseDuration, CancellationToken.None);
                    foreach (var job in claimed)
                    {
                        Start(job);
                    }

                    filledEverySlot = claimed.Count == free;
                }

                failedPolls = 0;
            }
            catch (Exception ex)
            {
                // The database is away: back off (doubling, up to 30 s) rather than hammer it and flood the log.
                failedPolls++;
                wait = TimeSpan.FromTicks(Math.Min(MaxPollBackoff.Ticks, jobs.PollInterval.Ticks << Math.Min(failedPolls, 16)));
                LogPollFailed(logger, Id, ex.GetType().Name, ex.Message, wait);
            }

            if (!filledEverySlot)
            {
                await WaitForWorkAsync(wait, stopClaiming);
            }
        }

        LogStoppedClaiming(logger, Id, _running.Count);
    }

    /// <summary>
    /// Waits for the running handlers. When <paramref name="shutdownTimeout"/> fires first, cancels them and
    /// releases their jobs (fenced, so a handler that finishes at the same moment keeps its result).
    /// </summary>
    public async Task DrainAsync(CancellationToken shutdownTimeout)
    {
        try
        {
            await Task.WhenAll(_running.Values.Select(r => r.Done.Task)).WaitAsync(shutdownTimeout);
            return;
        }
        catch (OperationCanceledException) when (shutdownTimeout.IsCancellationRequested)
        {
            // the shutdown timeout ran out with handlers still running
        }

        // Release first, then cancel: whatever the cancelled handler does next is refused by the fence.
        var unfinished = _running.Values.ToList();
        foreach (var running in unfinished)
        {
            try
            {
                var released = await leases.ReleaseAsync(running.Job, CancellationToken.None);
                LogReleased(logger, running.Job.Id, running.Job.Kind, released);
            }
            catch (Exception ex)
            {
                LogReleaseFailed(logger, running.Job.Id, ex.GetType().Name);
            }

            await running.Abort.CancelAsync();
        }

        try
        {
            // Handlers that honour cancellation end now; one that does not is left behind, and its
            // late outcome is refused by the fence.
            await Task.WhenAll(unfinished.Select(r => r.Done.Task)).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
        }
        catch (TimeoutException)
        {
            LogHandlersIgnoredCancellation(logger, Id, _running.Count);
        }
    }

    private void Start(ClaimedJob job)
    {
        var running = new RunningJob(job, new CancellationTokenSource(), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var claim = (job.Id, job.LockToken);
        _running[claim] = running;
        _ = Task.Run(async () =>
        {
            try
            {
                await executor.RunAsync(job, running.Abort.Token);
            }
            finally
            {
                _running.TryRemove(claim, out _);
                running.Done.TrySetResult();
                _slotFreed.Writer.TryWrite(true);
            }
        });
    }

    private async Task WaitForWorkAsync(TimeSpan pollInterval, CancellationToken stopClaiming)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopClaiming);
        wait.CancelAfter(pollInterval);
        try
        {
            // A finished job frees a slot: look for more work at once instead of at the next poll.
            await _slotFreed.Reader.WaitToReadAsync(wait.Token);
            _slotFreed.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested)
        {
            // the poll interval passed, or the worker is stopping
        }
    }

    private sealed record RunningJob(ClaimedJob Job, CancellationTokenSource Abort, TaskCompletionSource Done);

    [LoggerMessage(EventId = 4030, Level = LogLevel.Information, Message = "Job worker {WorkerId} started: {Concurrency} slot(s), polling every {PollInterval}")]
    private static partial void LogStarted(ILogger logger, string workerId, int concurrency, TimeSpan pollInterval);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Warning, Message = "Job worker {WorkerId} could not poll: {ErrorType}: {Error}; next try in {Wait}")]
    private static partial void LogPollFailed(ILogger logger, string workerId, string errorType, string error, TimeSpan wait);

    [LoggerMessage(EventId = 4032, Level = LogLevel.Information, Message = "Job worker {WorkerId} stopped claiming; {Running} job(s) still running")]
    private static partial void LogStoppedClaiming(ILogger logger, string workerId, int running);

    [LoggerMessage(EventId = 4033, Level = LogLevel.Warning, Message = "Job {JobId} ({Kind}) outlasted the shutdown timeout; released back to the queue: {Released}")]
    private static partial void LogReleased(ILogger logger, Guid jobId, string kind, bool released);

    [LoggerMessage(EventId = 4034, Level = LogLevel.Error, Message = "Job {JobId} could not be released at shutdown ({ErrorType}); it runs again when its lease expires")]
    private static partial void LogReleaseFailed(ILogger logger, Guid jobId, string errorType);

    [LoggerMessage(EventId = 4035, Level = LogLevel.Warning, Message = "Job worker {WorkerId}: {Running} handler(s) ignored cancellation at shutdown")]
    private static partial void LogHandlersIgnoredCancellation(ILogger logger, string workerId, int running);
}
