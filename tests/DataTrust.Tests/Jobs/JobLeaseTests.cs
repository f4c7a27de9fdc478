using DataTrust.Jobs;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Jobs;

/// <summary>
/// Several workers on one database: claims never overlap, a dead worker's job is taken over when its
/// lease expires, a live worker keeps its lease by heartbeat, and a worker that lost its lease can
/// record nothing (the lock-token fence).
/// </summary>
public abstract class JobLeaseTests(StorageProvider provider)
{
    private readonly JobProbe _probe = new();

    [Fact]
    public async Task Two_workers_on_one_database_run_each_of_200_jobs_exactly_once()
    {
        using var first = new JobsTestHost(provider, _probe);
        using var second = new JobsTestHost(provider, _probe, JobsTestHost.JoinedTo(first));
        first.Services.ShouldNotBeNull();
        second.Services.ShouldNotBeNull(); // both workers are polling before the jobs arrive

        var ids = new List<Guid>();
        for (var i = 0; i < 200; i++)
        {
            var queue = i % 2 == 0 ? first.Queue : second.Queue;
            ids.Add((await queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(DelayMs: 5))).Id);
        }

        await Eventually.Until(
            async () => (await first.JobsAsync()).Count(j => j.State == JobState.Succeeded),
            succeeded => succeeded == 200,
            "all 200 jobs to succeed",
            TimeSpan.FromSeconds(40));

        var counts = _probe.RunCounts;
        ids.ShouldAllBe(id => counts.GetValueOrDefault(id) == 1);
        counts.Count.ShouldBe(200);
        (await first.JobsAsync()).ShouldAllBe(j => j.Attempts == 1 && j.LockToken == null);
        var workers = ids.Select(id => _probe.RunsOf(id).Single().WorkerId).Distinct().ToList();
        workers.Count.ShouldBe(2, "both workers should have taken part");
    }

    [Fact]
    public async Task The_job_of_a_worker_that_died_is_taken_over_after_its_lease_expires_and_the_dead_worker_cannot_record_a_result()
    {
        using var host = new JobsTestHost(provider, _probe, JobsTestHost.WebOnly);
        var leases = host.Services.GetRequiredService<JobLeases>();
        var id = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload())).Id;

        // The "dead" worker claims the job with a short lease and is never heard of again: no heartbeat, no result.
        var stale = (await leases.ClaimAsync("dead-worker", 10, TimeSpan.FromSeconds(1.5), CancellationToken.None)).ShouldHaveSingleItem();

        // Nobody can claim it while the lease lasts.
        (await leases.ClaimAsync("eager-worker", 10, TimeSpan.FromSeconds(10), CancellationToken.None)).ShouldBeEmpty();
        stale.Id.ShouldBe(id);
        (await host.JobAsync(id)).ShouldSatisfyAllConditions(
            j => j.State.ShouldBe(JobState.Running),
            j => j.LockedBy.ShouldBe("dead-worker"));

        // A live worker takes it over once the lease has expired, and completes it.
        var survivor = host.NewWorker();
        using var stop = new CancellationTokenSource();
        var running = survivor.RunAsync(stop.Token);
        var done = await host.JobWhenAsync(id, j => j.State == JobState.Succeeded, "the take-over to complete the job");
        await stop.CancelAsync();
        await running;
        await survivor.DrainAsync(CancellationToken.None);

        done.Attempts.ShouldBe(2);
        _probe.RunsOf(id).ShouldHaveSingleItem().WorkerId.ShouldBe(survivor.Id);

        // The dead worker comes back: every write it tries is refused by the fence and changes nothing.
        (await leases.SucceedAsync(stale, CancellationToken.None)).ShouldBeFalse();
        (await leases.FailAsync(stale, "stale failure", DateTimeOffset.UtcNow, CancellationToken.None)).ShouldBeFalse();
        (await leases.FailAsync(stale, "stale failure", retryAt: null, CancellationToken.None)).ShouldBeFalse();
        (await leases.RenewAsync(stale, TimeSpan.FromMinutes(5), CancellationToken.None)).ShouldBeFalse();
        (await leases.ReleaseAsync(stale, CancellationToken.None)).ShouldBeFalse();
        var after = await host.JobAsync(id);
        JobsTestHost.Describe(after).ShouldBe(JobsTestHost.Describe(done));
        after.FinishedAt.ShouldBe(done.FinishedAt);
    }

    [Fact]
    public async Task A_worker_keeps_its_lease_by_heartbeat_while_a_handler_outlasts_the_lease()
    {
        using var host = new JobsTestHost(provider, _probe, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataTrust:Roles"] = "web",
            ["Jobs:LeaseDuration"] = "00:00:01.200",
            ["Jobs:HeartbeatInterval"] = "00:00:00.200",
        });
        var one = host.NewWorker();
        var other = host.NewWorker();
        using var stop = new CancellationTokenSource();
        var running = new[] { one.RunAsync(stop.Token), other.RunAsync(stop.Token) };

        var id = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(DelayMs: 2500))).Id;
        var done = await host.JobWhenAsync(id, j => j.State == JobState.Succeeded, "the long job to succeed");
        await stop.CancelAsync();
        await Task.WhenAll(running);
        await Task.WhenAll(one.DrainAsync(CancellationToken.None), other.DrainAsync(CancellationToken.None));

        done.Attempts.ShouldBe(1);
        _probe.RunsOf(id).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_worker_that_lost_its_lease_cancels_its_handler_and_leaves_the_new_owner_alone()
    {
        using var host = new JobsTestHost(provider, _probe, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["DataTrust:Roles"] = "web",
            ["Jobs:LeaseDuration"] = "00:00:02",
            ["Jobs:HeartbeatInterval"] = "00:00:00.100",
        });
        var worker = host.NewWorker();
        using var stop = new CancellationTokenSource();
        var running = worker.RunAsync(stop.Token);
        var id = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(DelayMs: 30_000))).Id;
        await _probe.Started(id);

        // Another worker took the job over (as after a long pause of this one).
        var thiefToken = Guid.NewGuid();
        await using (var db = host.NewDbContext())
        {
            var until = DateTimeOffset.UtcNow.AddMinutes(5);
            await db.Set<Job>().Where(j => j.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.LockToken, thiefToken)
                .SetProperty(j => j.LockedBy, "new-owner")
                .SetProperty(j => j.LockedUntil, until));
        }

        await _probe.Cancelled(id);
        await Eventually.Until(() => Task.FromResult(worker.RunningCount), n => n == 0, "the worker to let go of the job");
        await stop.CancelAsync();
        await running;

        var job = await host.JobAsync(id);
        job.State.ShouldBe(JobState.Running);
        job.LockToken.ShouldBe(thiefToken);
        job.LockedBy.ShouldBe("new-owner");
        job.LastError.ShouldBeNull();
    }
}

public sealed class SqliteJobLeaseTests() : JobLeaseTests(StorageProvider.Sqlite);

public sealed class PostgresJobLeaseTests() : JobLeaseTests(StorageProvider.Postgres);
