using DataTrust.Jobs;
using DataTrust.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DataTrust.Tests.Jobs;

/// <summary>Stopping a worker: running handlers may finish within the shutdown timeout; what still runs then goes back to the queue.</summary>
public abstract class JobShutdownTests(StorageProvider provider)
{
    private readonly JobProbe _probe = new();

    [Fact]
    public async Task Stopping_the_host_lets_a_running_handler_finish()
    {
        using var host = new JobsTestHost(provider, _probe, services: s => s.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20)));
        using var observer = new JobsTestHost(provider, _probe, JobsTestHost.JoinedTo(host, JobsTestHost.WebOnly));
        observer.Services.ShouldNotBeNull();
        var id = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(DelayMs: 700))).Id;
        var dueAfterStop = DateTimeOffset.UtcNow.AddSeconds(5);
        var waiting = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(), new EnqueueOptions { RunAt = dueAfterStop })).Id;
        await _probe.Started(id);

        await host.StopAsync();

        var job = await observer.JobAsync(id);
        job.State.ShouldBe(JobState.Succeeded);
        job.Attempts.ShouldBe(1);
        _probe.RunsOf(id).Count.ShouldBe(1);

        // No new claims once stopping began: a job that becomes due afterwards still waits.
        DateTimeOffset.UtcNow.ShouldBeLessThan(dueAfterStop, "the test machine was too slow to stop before the second job was due");
        await Task.Delay(dueAfterStop - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300));
        (await observer.JobAsync(waiting)).State.ShouldBe(JobState.Queued);
        _probe.RunsOf(waiting).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_handler_outlasting_the_shutdown_timeout_is_cancelled_and_its_job_goes_back_to_the_queue()
    {
        using var host = new JobsTestHost(provider, _probe, services: ShortShutdown);
        using var observer = new JobsTestHost(provider, _probe, JobsTestHost.JoinedTo(host, JobsTestHost.WebOnly));
        observer.Services.ShouldNotBeNull();
        var id = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(DelayMs: 60_000))).Id;
        await _probe.Started(id);

        await host.StopAsync();
        await _probe.Cancelled(id);

        var released = await observer.JobAsync(id);
        released.State.ShouldBe(JobState.Queued);
        released.Attempts.ShouldBe(0, "an attempt cut short by shutdown does not count");
        (released.LockedBy, released.LockToken, released.LockedUntil).ShouldBe((null, null, null));
        released.RunAt.ShouldBeLessThanOrEqualTo(DateTimeOffset.UtcNow);
        released.LastError.ShouldBeNull();

        // The next worker picks it up at once, as a first attempt.
        using var next = new JobsTestHost(provider, _probe, JobsTestHost.JoinedTo(host), ShortShutdown);
        next.Services.ShouldNotBeNull();
        await Eventually.Until(() => Task.FromResult(_probe.RunsOf(id).Count), runs => runs == 2, "the next instance to run the job");
        _probe.RunsOf(id).Select(r => r.Attempt).ShouldBe([1, 1]);
    }

    private static void ShortShutdown(IServiceCollection services) =>
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(500));
}

public sealed class SqliteJobShutdownTests() : JobShutdownTests(StorageProvider.Sqlite);

public sealed class PostgresJobShutdownTests() : JobShutdownTests(StorageProvider.Postgres);
