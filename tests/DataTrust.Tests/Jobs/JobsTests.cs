using DataTrust.Identity.Clients;
using DataTrust.Jobs;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Jobs;

/// <summary>The life of a job on one worker: run, retry with backoff, dead-letter, idempotent and transactional enqueue.</summary>
public abstract class JobsTests(StorageProvider provider)
{
    private readonly JobProbe _probe = new();

    [Fact]
    public async Task An_enqueued_job_runs_once_and_is_recorded_as_succeeded()
    {
        using var host = new JobsTestHost(provider, _probe);
        var enqueued = await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload());

        var job = await host.JobWhenAsync(enqueued.Id, j => j.State == JobState.Succeeded, "the job to succeed");

        enqueued.Created.ShouldBeTrue();
        job.Attempts.ShouldBe(1);
        job.FinishedAt.ShouldNotBeNull();
        job.StartedAt.ShouldNotBeNull();
        (job.LockedBy, job.LockToken, job.LockedUntil, job.LastError).ShouldBe((null, null, null, null));
        var run = _probe.RunsOf(enqueued.Id).ShouldHaveSingleItem();
        run.Attempt.ShouldBe(1);
        run.Kind.ShouldBe(RecordingHandler.Kind);
        run.IdempotencyKey.ShouldBe($"job:{enqueued.Id}");
        run.WorkerId.ShouldStartWith(Environment.MachineName + ":" + Environment.ProcessId + ":");
    }

    [Fact]
    public async Task A_failing_job_is_retried_with_growing_backoff_and_dead_lettered_after_its_last_attempt()
    {
        // Backoff: 1 min, then 2 min (capped), each with equal jitter; the test moves run_at instead of waiting.
        using var host = new JobsTestHost(provider, _probe);
        var id = (await host.Queue.EnqueueAsync(FailingHandler.Kind, enqueue: new EnqueueOptions { MaxAttempts = 3 })).Id;

        var first = await host.JobWhenAsync(id, j => j is { State: JobState.Failed, Attempts: 1 }, "the first failure");
        first.LastError.ShouldBe("System.InvalidOperationException: Deliberate failure for the test");
        // Slack above the range: the failure is recorded a moment after the attempt started.
        (first.RunAt - first.StartedAt!.Value).ShouldBeInRange(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(70));
        first.FinishedAt.ShouldBeNull();
        first.LockedBy.ShouldBeNull();

        await MakeDueNow(host, id);
        var second = await host.JobWhenAsync(id, j => j is { State: JobState.Failed, Attempts: 2 }, "the second failure");
        (second.RunAt - second.StartedAt!.Value).ShouldBeInRange(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(130));
        second.StartedAt.Value.ShouldBeGreaterThan(first.StartedAt.Value);

        await MakeDueNow(host, id);
        var last = await host.JobWhenAsync(id, j => j.State == JobState.DeadLettered, "dead-lettering");
        last.Attempts.ShouldBe(3);
        last.FinishedAt.ShouldNotBeNull();
        last.LastError.ShouldBe("System.InvalidOperationException: Deliberate failure for the test");
        _probe.RunsOf(id).Select(r => r.Attempt).ShouldBe([1, 2, 3]);
        _probe.RunsOf(id).Select(r => r.IdempotencyKey).Distinct().ShouldHaveSingleItem();

        // A dead-lettered job is not claimed again, even when due.
        await MakeDueNow(host, id);
        await Task.Delay(300);
        _probe.RunsOf(id).Count.ShouldBe(3);
        (await host.JobAsync(id)).State.ShouldBe(JobState.DeadLettered);
    }

    [Fact]
    public async Task A_job_of_an_unknown_kind_fails_with_a_clear_error_and_is_dead_lettered()
    {
        using var host = new JobsTestHost(provider, _probe);
        var id = (await host.Queue.EnqueueAsync("test.nobody-handles-this", enqueue: new EnqueueOptions { MaxAttempts = 1 })).Id;

        var job = await host.JobWhenAsync(id, j => j.State == JobState.DeadLettered, "dead-lettering");

        job.Attempts.ShouldBe(1);
        job.LastError.ShouldBe("DataTrust.Jobs.UnknownJobKindException: No handler is registered for job kind 'test.nobody-handles-this' on this worker.");
    }

    [Fact]
    public async Task Enqueueing_again_with_the_same_idempotency_key_returns_the_first_job()
    {
        using var host = new JobsTestHost(provider, _probe, JobsTestHost.WebOnly);
        var options = new EnqueueOptions { IdempotencyKey = "test.record:order-4711" };

        var first = await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(), options);
        var again = await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(), options);
        var racing = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(), new EnqueueOptions { IdempotencyKey = "test.record:raced" })));
        EnqueuedJob inTransaction;
        await using (var db = host.NewDbContext())
        {
            inTransaction = await host.Queue.EnqueueAsync(db, RecordingHandler.Kind, new RecordPayload(), options);
            await db.SaveChangesAsync();
        }

        first.Created.ShouldBeTrue();
        again.ShouldBe(first with { Created = false });
        inTransaction.ShouldBe(first with { Created = false });
        racing.Select(r => r.Id).Distinct().ShouldHaveSingleItem();
        racing.Count(r => r.Created).ShouldBe(1);
        var jobs = await host.JobsAsync();
        jobs.Count.ShouldBe(2);
        jobs.Select(j => j.IdempotencyKey).Order(StringComparer.Ordinal).ShouldBe(["test.record:order-4711", "test.record:raced"]);
    }

    [Fact]
    public async Task A_job_enqueued_in_a_transaction_commits_or_rolls_back_with_the_business_change()
    {
        using var host = new JobsTestHost(provider, _probe, JobsTestHost.WebOnly);
        Guid committed;
        Guid rolledBack;
        await using (var db = host.NewDbContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Add(NewClient("committed-client"));
            committed = (await host.Queue.EnqueueAsync(db, RecordingHandler.Kind, new RecordPayload())).Id;
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }

        await using (var db = host.NewDbContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Add(NewClient("rolled-back-client"));
            rolledBack = (await host.Queue.EnqueueAsync(db, RecordingHandler.Kind, new RecordPayload(),
                new EnqueueOptions { IdempotencyKey = "test.record:rolled-back" })).Id;
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        var jobs = await host.JobsAsync();
        jobs.Select(j => j.Id).ShouldBe([committed]);
        jobs.ShouldNotContain(j => j.Id == rolledBack);
        await using (var db = host.NewDbContext())
        {
            var clients = await db.Set<Client>().Select(c => c.ClientId).ToListAsync();
            clients.ShouldContain("committed-client");
            clients.ShouldNotContain("rolled-back-client");
        }

        // The key of the rolled-back job is free again: the retried business change enqueues its job.
        var retried = await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(), new EnqueueOptions { IdempotencyKey = "test.record:rolled-back" });
        retried.Created.ShouldBeTrue();
    }

    [Fact]
    public async Task Bad_enqueues_are_refused_before_anything_is_written()
    {
        using var host = new JobsTestHost(provider, _probe, JobsTestHost.WebOnly);

        await Should.ThrowAsync<ArgumentException>(() => host.Queue.EnqueueAsync("Not A Kind"));
        await Should.ThrowAsync<ArgumentException>(() => host.Queue.EnqueueAsync(RecordingHandler.Kind, enqueue: new EnqueueOptions { IdempotencyKey = "" }));
        await Should.ThrowAsync<ArgumentException>(() => host.Queue.EnqueueAsync(RecordingHandler.Kind, enqueue: new EnqueueOptions { IdempotencyKey = new string('k', 201) }));
        await Should.ThrowAsync<ArgumentException>(() => host.Queue.EnqueueAsync(RecordingHandler.Kind, enqueue: new EnqueueOptions { MaxAttempts = 0 }));

        (await host.JobsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Finished_jobs_are_purged_after_their_retention_and_everything_else_is_kept()
    {
        using var host = new JobsTestHost(provider, _probe, new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Jobs:RetainSucceededFor"] = "7.00:00:00",
            ["Jobs:RetainDeadLetteredFor"] = "30.00:00:00",
        });
        var now = DateTimeOffset.UtcNow;
        var arranged = new Dictionary<string, (JobState State, DateTimeOffset? FinishedAt)>(StringComparer.Ordinal)
        {
            ["old-succeeded"] = (JobState.Succeeded, now.AddDays(-8)),
            ["recent-succeeded"] = (JobState.Succeeded, now.AddDays(-6)),
            ["old-dead"] = (JobState.DeadLettered, now.AddDays(-31)),
            ["recent-dead"] = (JobState.DeadLettered, now.AddDays(-29)),
            ["old-failed"] = (JobState.Failed, null),
        };
        await using (var db = host.NewDbContext())
        {
            foreach (var (key, (state, finishedAt)) in arranged)
            {
                var job = host.Queue.NewJob(RecordingHandler.Kind, "{}", new EnqueueOptions { IdempotencyKey = key, RunAt = now.AddDays(1) });
                job.State = state;
                job.CreatedAt = now.AddDays(-40);
                job.FinishedAt = finishedAt;
                db.Add(job);
            }

            await db.SaveChangesAsync();
        }

        var purge = (await host.Queue.EnqueueAsync(PurgeFinishedJobs.Kind)).Id;
        await host.JobWhenAsync(purge, j => j.State == JobState.Succeeded, "the purge to run");

        (await host.JobsAsync()).Select(j => j.IdempotencyKey ?? "the purge job").Order(StringComparer.Ordinal)
            .ShouldBe(["old-failed", "recent-dead", "recent-succeeded", "the purge job"]);
    }

    private static async Task MakeDueNow(JobsTestHost host, Guid id)
    {
        await using var db = host.NewDbContext();
        var now = DateTimeOffset.UtcNow;
        await db.Set<Job>().Where(j => j.Id == id).ExecuteUpdateAsync(s => s.SetProperty(j => j.RunAt, now));
    }

    private static Client NewClient(string clientId) => new()
    {
        Id = Guid.NewGuid(),
        ClientId = clientId,
        DisplayName = clientId,
        Kind = ClientKind.BusinessRecipient,
        CreatedAt = DateTimeOffset.UtcNow,
    };
}

public sealed class SqliteJobsTests() : JobsTests(StorageProvider.Sqlite);

public sealed class PostgresJobsTests() : JobsTests(StorageProvider.Postgres);
