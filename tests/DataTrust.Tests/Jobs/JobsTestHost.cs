using System.Collections.Concurrent;
using DataTrust.Jobs;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DataTrust.Tests.Jobs;

/// <summary>
/// The real service with the test job handlers registered and fast polling. By default it runs a
/// worker on a fresh database; <see cref="JoinedTo"/> makes a second instance on the same database,
/// as a second replica would be.
/// </summary>
internal sealed class JobsTestHost : DataTrustFactory
{
    private readonly JobProbe _probe;
    private readonly Action<IServiceCollection>? _services;

    public JobsTestHost(StorageProvider provider, JobProbe probe, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
        : base(provider, WithDefaults(settings))
    {
        _probe = probe;
        _services = services;
    }

    public static readonly IReadOnlyDictionary<string, string?> WebOnly = new Dictionary<string, string?>(StringComparer.Ordinal) { ["DataTrust:Roles"] = "web" };

    /// <summary>Settings that put a new host on <paramref name="other"/>'s database.</summary>
    public static Dictionary<string, string?> JoinedTo(DataTrustFactory other, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var joined = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>(StringComparer.Ordinal), StringComparer.Ordinal)
        {
            ["ConnectionStrings:DataTrust"] = other.Database.ConnectionString,
            ["DataTrust:DataDirectory"] = other.Database.DataDirectory,
        };
        return joined;
    }

    public JobProbe Probe => _probe;

    public JobQueue Queue => Services.GetRequiredService<JobQueue>();

    public async Task<Job> JobAsync(Guid id)
    {
        await using var db = NewDbContext();
        return await db.Set<Job>().AsNoTracking().SingleAsync(j => j.Id == id);
    }

    /// <summary>Waits until the job satisfies <paramref name="done"/>.</summary>
    public Task<Job> JobWhenAsync(Guid id, Func<Job, bool> done, string what, TimeSpan? timeout = null) =>
        Eventually.Until(() => JobAsync(id), done, what, timeout, Describe);

    public static string Describe(Job job) =>
        $"{job.State.ToText()} attempts={job.Attempts}/{job.MaxAttempts} run_at={job.RunAt:O} locked_by={job.LockedBy} last_error={job.LastError}";

    public async Task<List<Job>> JobsAsync()
    {
        await using var db = NewDbContext();
        return await db.Set<Job>().AsNoTracking().ToListAsync();
    }

    /// <summary>Stops the host as a deployment would (hosted services stopped, within the shutdown timeout); the database stays.</summary>
    public Task StopAsync() => Services.GetRequiredService<IHost>().StopAsync();

    /// <summary>A worker of this host's services, with an id of its own, that the test runs by hand.</summary>
    public JobWorker NewWorker() => ActivatorUtilities.CreateInstance<JobWorker>(Services);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(_probe);
            services.AddJobHandler<RecordingHandler>(RecordingHandler.Kind);
            services.AddJobHandler<FailingHandler>(FailingHandler.Kind);
            _services?.Invoke(services);
        });
    }

    private static Dictionary<string, string?> WithDefaults(IReadOnlyDictionary<string, string?>? settings)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Jobs:PollInterval"] = "00:00:00.050",
            ["Jobs:LeaseDuration"] = "00:00:10",
            ["Jobs:HeartbeatInterval"] = "00:00:01",
            ["Jobs:RetryBaseDelay"] = "00:01:00",
            ["Jobs:RetryMaxDelay"] = "00:02:00",
            ["RateLimiting:Sensitive:Burst"] = "1000",
            ["DataTrust:SeedDemoData"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>(StringComparer.Ordinal))
        {
            values[key] = value;
        }

        return values;
    }
}

/// <summary>What the test handlers saw: every run of every job, shared by all hosts of one test.</summary>
internal sealed class JobProbe
{
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<JobContext>> _runs = new();
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _started = new();
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _cancelled = new();

    public IReadOnlyCollection<JobContext> RunsOf(Guid jobId) => _runs.TryGetValue(jobId, out var runs) ? runs.ToArray() : [];

    public IReadOnlyDictionary<Guid, int> RunCounts => _runs.ToDictionary(r => r.Key, r => r.Value.Count);

    public void Record(JobContext job)
    {
        _runs.GetOrAdd(job.JobId, _ => new ConcurrentQueue<JobContext>()).Enqueue(job);
        Signal(_started, job.JobId).TrySetResult();
    }

    public void RecordCancelled(Guid jobId) => Signal(_cancelled, jobId).TrySetResult();

    public Task Started(Guid jobId) => Signal(_started, jobId).Task.WaitAsync(TimeSpan.FromSeconds(20));

    public Task Cancelled(Guid jobId) => Signal(_cancelled, jobId).Task.WaitAsync(TimeSpan.FromSeconds(20));

    private static TaskCompletionSource Signal(ConcurrentDictionary<Guid, TaskCompletionSource> signals, Guid jobId) =>
        signals.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

internal sealed record RecordPayload(int DelayMs = 0);

/// <summary><c>test.record</c>: records the run, then waits <see cref="RecordPayload.DelayMs"/> (cancellable).</summary>
internal sealed class RecordingHandler(JobProbe probe) : IJobHandler
{
    public const string Kind = "test.record";

    public async Task HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        probe.Record(job);
        var delay = job.ReadPayload<RecordPayload>().DelayMs;
        if (delay > 0)
        {
            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                probe.RecordCancelled(job.JobId);
                throw;
            }
        }
    }
}

/// <summary><c>test.fail</c>: records the run and throws.</summary>
internal sealed class FailingHandler(JobProbe probe) : IJobHandler
{
    public const string Kind = "test.fail";

    public Task HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        probe.Record(job);
        throw new InvalidOperationException("Deliberate failure for the test");
    }
}

internal static class Eventually
{
    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds; fails with the last value after <paramref name="timeout"/>.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null, Func<T, string>? describe = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}; last value: {(describe is null ? value?.ToString() : describe(value))}");
            }

            await Task.Delay(25);
        }
    }
}
