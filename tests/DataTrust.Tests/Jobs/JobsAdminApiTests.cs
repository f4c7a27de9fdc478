using System.Net;
using System.Text.Json;
using DataTrust.Accounts;
using DataTrust.Audit;
using DataTrust.Audit.Storage;
using DataTrust.Jobs;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Jobs;

/// <summary>
/// The operators' job API: what it shows (never payloads), retry, and its errors as RFC 9457 problem
/// details. The tests share one web-only host with the demo accounts (seeding hashes passwords, which
/// is slow); each runs a worker by hand when it needs one, and asserts only on its own jobs.
/// </summary>
public abstract class JobsAdminApiTests<TShared>(TShared shared) : IClassFixture<TShared>
    where TShared : SeededJobsHost
{
    private const string PersonalData = "hanako@example.jp";

    private readonly JobProbe _probe = shared.Probe;
    private readonly StorageProvider _provider = shared.Provider;

    [Fact]
    public async Task An_operator_lists_filters_pages_counts_and_reads_jobs_and_schedules_without_ever_seeing_a_payload()
    {
        // Its own host: the counts are exact, and the schedule is declared at start.
        using var host = new JobsTestHost(_provider, _probe, SeededJobsHost.Settings,
            s => s.AddRecurringJob("test-hourly", RecordingHandler.Kind, TimeSpan.FromHours(1)));
        var operatorClient = await host.CreateClientAsync(Roles.Operator);
        var succeeded = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new { resident = PersonalData })).Id;
        var dead = (await host.Queue.EnqueueAsync(FailingHandler.Kind, new { resident = PersonalData },
            new EnqueueOptions { MaxAttempts = 1, IdempotencyKey = "test.fail:1" })).Id;
        await RunWorkerUntil(host, async () => (await host.JobAsync(succeeded)).State == JobState.Succeeded
            && (await host.JobAsync(dead)).State == JobState.DeadLettered);
        var later = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(), new EnqueueOptions { RunAt = DateTimeOffset.UtcNow.AddHours(1) })).Id;

        var all = await GetJson(operatorClient, "/api/admin/jobs");
        all.GetProperty("total").GetInt32().ShouldBe(3);
        Ids(all).First().ShouldBe(later, "newest first");
        Ids(await GetJson(operatorClient, "/api/admin/jobs?state=dead_lettered")).ShouldBe([dead]);
        Ids(await GetJson(operatorClient, $"/api/admin/jobs?state=queued&kind={RecordingHandler.Kind}")).ShouldBe([later]);
        var secondPage = await GetJson(operatorClient, "/api/admin/jobs?page=2&pageSize=1");
        (secondPage.GetProperty("total").GetInt32(), secondPage.GetProperty("items").GetArrayLength(), Ids(secondPage).Single()).ShouldBe((3, 1, Ids(all)[1]));

        var counts = (await GetJson(operatorClient, "/api/admin/jobs/counts")).GetProperty("byState");
        JobStates.All.Select(s => counts.GetProperty(s.ToText()).GetInt32()).ShouldBe([1, 0, 1, 0, 1]);

        var detail = await GetJson(operatorClient, $"/api/admin/jobs/{dead}");
        detail.GetProperty("state").GetString().ShouldBe("dead_lettered");
        detail.GetProperty("kind").GetString().ShouldBe(FailingHandler.Kind);
        (detail.GetProperty("attempts").GetInt32(), detail.GetProperty("maxAttempts").GetInt32()).ShouldBe((1, 1));
        detail.GetProperty("lastError").GetString().ShouldBe("System.InvalidOperationException: Deliberate failure for the test");
        detail.GetProperty("finishedAt").GetDateTimeOffset().ShouldBeGreaterThan(detail.GetProperty("createdAt").GetDateTimeOffset());
        detail.GetProperty("payloadLength").GetInt32().ShouldBe($"{{\"resident\":\"{PersonalData}\"}}".Length);
        detail.GetProperty("hasIdempotencyKey").GetBoolean().ShouldBeTrue();
        detail.TryGetProperty("payload", out _).ShouldBeFalse();
        detail.TryGetProperty("idempotencyKey", out _).ShouldBeFalse();

        var schedules = (await GetJson(operatorClient, "/api/admin/jobs/schedules")).EnumerateArray().ToList();
        schedules.Select(s => s.GetProperty("name").GetString()).ShouldBe([SealCheckpointJob.Schedule, DataTrust.Consent.ExpireConsentsJob.Schedule, DataTrust.Identity.Maintenance.PurgeExpiredProtocolRecordsJob.Schedule, PurgeFinishedJobs.Schedule, "test-hourly", DataTrust.Vault.Retention.RecordRetentionJob.Schedule]);
        var schedule = schedules.Single(s => s.GetProperty("name").GetString() == "test-hourly");
        schedule.GetProperty("kind").GetString().ShouldBe(RecordingHandler.Kind);
        schedule.GetProperty("interval").GetString().ShouldBe("01:00:00");
        schedule.GetProperty("nextRunAt").GetDateTimeOffset().ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(55), "the first occurrence is one interval away");
        schedule.GetProperty("lastJobId").ValueKind.ShouldBe(JsonValueKind.Null);

        var everything = string.Join('\n', await Task.WhenAll(
            new[] { "/api/admin/jobs", "/api/admin/jobs/counts", "/api/admin/jobs/schedules", $"/api/admin/jobs/{succeeded}", $"/api/admin/jobs/{dead}" }
                .Select(operatorClient.GetStringAsync)));
        everything.ShouldNotContain(PersonalData);
        host.Logs.All.ShouldNotContain(PersonalData);
    }

    [Fact]
    public async Task An_operator_retries_a_dead_lettered_job_which_then_runs_again()
    {
        var host = shared.Host;
        var operatorClient = await host.CreateClientAsync(Roles.Operator);
        var id = (await host.Queue.EnqueueAsync(FailingHandler.Kind, enqueue: new EnqueueOptions { MaxAttempts = 2 })).Id;
        await RunWorkerUntil(host, async () => (await host.JobAsync(id)).State == JobState.DeadLettered, makeDue: id);

        var response = await operatorClient.PostAsync($"/api/admin/jobs/{id}/retry", null);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        (detail.GetProperty("state").GetString(), detail.GetProperty("attempts").GetInt32()).ShouldBe(("queued", 0));
        detail.GetProperty("finishedAt").ValueKind.ShouldBe(JsonValueKind.Null);
        var queued = await host.JobAsync(id);
        (queued.State, queued.Attempts, queued.FinishedAt).ShouldBe((JobState.Queued, 0, null));
        queued.RunAt.ShouldBeLessThanOrEqualTo(DateTimeOffset.UtcNow);
        queued.LastError.ShouldNotBeNull("the last error stays for the operator until the next attempt");

        await RunWorkerUntil(host, () => Task.FromResult(_probe.RunsOf(id).Count == 3));
        _probe.RunsOf(id).Select(r => r.Attempt).ShouldBe([1, 2, 1]);
        host.Logs.All.ShouldContain($"retried job {id}");
        await using var db = host.NewDbContext();
        var audited = await db.Set<AuditEntry>().AsNoTracking().Where(e => e.Action == "admin.changed" && e.Objects.Contains(id.ToString())).ToListAsync();
        audited.Count.ShouldBe(1);
        audited[0].ActorType.ShouldBe("operator");
        audited[0].Details.ShouldContain("job.retry");
    }

    [Fact]
    public async Task Retrying_a_job_that_did_not_fail_is_a_conflict_and_bad_ids_and_filters_are_refused_all_changing_nothing()
    {
        var host = shared.Host;
        var operatorClient = await host.CreateClientAsync(Roles.Operator);
        var done = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload())).Id;
        var waiting = (await host.Queue.EnqueueAsync(RecordingHandler.Kind, new RecordPayload(), new EnqueueOptions { RunAt = DateTimeOffset.UtcNow.AddHours(1) })).Id;
        await RunWorkerUntil(host, async () => (await host.JobAsync(done)).State == JobState.Succeeded);
        var before = (await host.JobsAsync()).Select(JobsTestHost.Describe).Order(StringComparer.Ordinal).ToList();
        var auditedBefore = await AdminChangesAsync(host);

        var conflict = await operatorClient.PostAsync($"/api/admin/jobs/{done}/retry", null);
        var stillWaiting = await operatorClient.PostAsync($"/api/admin/jobs/{waiting}/retry", null);
        (await ShouldBeProblem(conflict, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("succeeded");
        (await ShouldBeProblem(stillWaiting, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("queued");

        var unknown = Guid.NewGuid();
        await ShouldBeProblem(await operatorClient.GetAsync($"/api/admin/jobs/{unknown}"), HttpStatusCode.NotFound);
        await ShouldBeProblem(await operatorClient.PostAsync($"/api/admin/jobs/{unknown}/retry", null), HttpStatusCode.NotFound);
        await ShouldBeProblem(await operatorClient.GetAsync("/api/admin/jobs/not-a-job-id"), HttpStatusCode.BadRequest);
        await ShouldBeProblem(await operatorClient.PostAsync("/api/admin/jobs/not-a-job-id/retry", null), HttpStatusCode.BadRequest);
        foreach (var query in new[] { "state=bogus", "state=Queued", "kind=Not%20A%20Kind", "page=0", "pageSize=0", "pageSize=201", "page=abc" })
        {
            await ShouldBeProblem(await operatorClient.GetAsync($"/api/admin/jobs?{query}"), HttpStatusCode.BadRequest);
        }

        (await host.JobsAsync()).Select(JobsTestHost.Describe).Order(StringComparer.Ordinal).ShouldBe(before);
        (await AdminChangesAsync(host)).ShouldBe(auditedBefore, "a refused retry records no change");
    }

    [Fact]
    public async Task Anonymous_callers_get_401_and_non_operators_403_and_change_nothing()
    {
        var host = shared.Host;
        var id = (await host.Queue.EnqueueAsync(FailingHandler.Kind, enqueue: new EnqueueOptions { MaxAttempts = 1 })).Id;
        await RunWorkerUntil(host, async () => (await host.JobAsync(id)).State == JobState.DeadLettered);
        var anonymous = host.CreateClient(new() { AllowAutoRedirect = false });
        var resident = await host.CreateClientAsync(Roles.Resident);
        var auditor = await host.CreateClientAsync(Roles.Auditor);
        string[] reads = ["/api/admin/jobs", "/api/admin/jobs/counts", "/api/admin/jobs/schedules", $"/api/admin/jobs/{id}"];

        foreach (var path in reads)
        {
            await ShouldBeProblem(await anonymous.GetAsync(path), HttpStatusCode.Unauthorized);
            await ShouldBeProblem(await resident.GetAsync(path), HttpStatusCode.Forbidden);
            await ShouldBeProblem(await auditor.GetAsync(path), HttpStatusCode.Forbidden);
        }

        await ShouldBeProblem(await anonymous.PostAsync($"/api/admin/jobs/{id}/retry", null), HttpStatusCode.Unauthorized);
        await ShouldBeProblem(await resident.PostAsync($"/api/admin/jobs/{id}/retry", null), HttpStatusCode.Forbidden);
        (await host.JobAsync(id)).State.ShouldBe(JobState.DeadLettered);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_job_endpoints_under_the_Jobs_tag()
    {
        var host = shared.Host;

        var document = await GetJson(host.CreateClient(), "/openapi/v1.json");

        var paths = document.GetProperty("paths");
        string[] expected = ["/api/admin/jobs", "/api/admin/jobs/counts", "/api/admin/jobs/schedules", "/api/admin/jobs/{id}", "/api/admin/jobs/{id}/retry"];
        foreach (var path in expected)
        {
            var operations = paths.GetProperty(path).EnumerateObject().Where(o => o.Name is "get" or "post").ToList();
            operations.ShouldNotBeEmpty(path);
            operations.ShouldAllBe(o => o.Value.GetProperty("tags").EnumerateArray().Any(t => t.GetString() == "Jobs"));
        }

        var retry = paths.GetProperty("/api/admin/jobs/{id}/retry").GetProperty("post").GetProperty("responses");
        retry.EnumerateObject().Select(r => r.Name).ShouldBe(["200", "400", "401", "403", "404", "409"], ignoreOrder: true);
    }

    /// <summary>Runs a worker of the (web-only) host until <paramref name="done"/>; <paramref name="makeDue"/> skips that job's backoff.</summary>
    private static async Task RunWorkerUntil(JobsTestHost host, Func<Task<bool>> done, Guid? makeDue = null)
    {
        var worker = host.NewWorker();
        using var stop = new CancellationTokenSource();
        var running = worker.RunAsync(stop.Token);
        try
        {
            await Eventually.Until(async () =>
            {
                if (makeDue is { } id)
                {
                    await using var db = host.NewDbContext();
                    var now = DateTimeOffset.UtcNow;
                    await db.Set<Job>().Where(j => j.Id == id && j.State == JobState.Failed).ExecuteUpdateAsync(s => s.SetProperty(j => j.RunAt, now));
                }

                return await done();
            }, finished => finished, "the worker to get there");
        }
        finally
        {
            await stop.CancelAsync();
            await running;
            await worker.DrainAsync(CancellationToken.None);
        }
    }

    private static async Task<JsonElement> GetJson(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static List<Guid> Ids(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();

    private static async Task<int> AdminChangesAsync(JobsTestHost host)
    {
        await using var db = host.NewDbContext();
        return await db.Set<AuditEntry>().CountAsync(e => e.Action == "admin.changed");
    }

    private static async Task<JsonElement> ShouldBeProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        var path = response.RequestMessage!.RequestUri!.PathAndQuery;
        response.StatusCode.ShouldBe(status, path);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", path);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("status").GetInt32().ShouldBe((int)status, path);
        problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace(path);
        return problem;
    }
}

/// <summary>One web-only host with the demo accounts, shared by the tests of a class.</summary>
public abstract class SeededJobsHost(StorageProvider provider) : IDisposable
{
    internal static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["DataTrust:Roles"] = "web",
        ["DataTrust:SeedDemoData"] = "true",
        ["Logging:LogLevel:DataTrust"] = "Information", // so that the log assertions see the jobs' own lines
    };

    private readonly Lazy<JobsTestHost> _host = new(() => new JobsTestHost(provider, new JobProbe(), Settings));

    public StorageProvider Provider => provider;

    internal JobsTestHost Host => _host.Value;

    internal JobProbe Probe => Host.Probe;

    public void Dispose()
    {
        if (_host.IsValueCreated)
        {
            _host.Value.Dispose();
        }

        GC.SuppressFinalize(this);
    }
}

public sealed class SqliteSeededJobsHost() : SeededJobsHost(StorageProvider.Sqlite);

public sealed class PostgresSeededJobsHost() : SeededJobsHost(StorageProvider.Postgres);

public sealed class SqliteJobsAdminApiTests(SqliteSeededJobsHost shared) : JobsAdminApiTests<SqliteSeededJobsHost>(shared);

public sealed class PostgresJobsAdminApiTests(PostgresSeededJobsHost shared) : JobsAdminApiTests<PostgresSeededJobsHost>(shared);
