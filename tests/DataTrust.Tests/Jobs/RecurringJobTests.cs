using System.Globalization;
using DataTrust.Jobs;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Jobs;

/// <summary>Recurring schedules declared in code, written to the database, fired once per occurrence by any number of workers.</summary>
public abstract class RecurringJobTests(StorageProvider provider)
{
    private const string Schedule = "test-tick";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(300);

    private readonly JobProbe _probe = new();

    [Fact]
    public async Task Two_workers_enqueue_exactly_one_job_per_occurrence()
    {
        static void Declare(IServiceCollection services) => services.AddRecurringJob(Schedule, RecordingHandler.Kind, Interval, new RecordPayload());
        using var first = new JobsTestHost(provider, _probe, services: Declare);
        using var second = new JobsTestHost(provider, _probe, JobsTestHost.JoinedTo(first), Declare);
        using var observer = new JobsTestHost(provider, _probe, JobsTestHost.JoinedTo(first, JobsTestHost.WebOnly));
        first.Services.ShouldNotBeNull();
        second.Services.ShouldNotBeNull();
        observer.Services.ShouldNotBeNull();

        await Eventually.Until(
            async () => (await observer.JobsAsync()).Count(j => j.ScheduleName == Schedule && j.State == JobState.Succeeded),
            done => done >= 5,
            "five occurrences to run");
        await Task.WhenAll(first.StopAsync(), second.StopAsync());

        var jobs = (await observer.JobsAsync()).Where(j => j.ScheduleName == Schedule).ToList();
        var occurrences = jobs.Select(j => Occurrence(j.IdempotencyKey!)).Order().ToList();
        occurrences.Distinct().Count().ShouldBe(jobs.Count, "one job per occurrence");
        for (var i = 1; i < occurrences.Count; i++)
        {
            var gap = occurrences[i] - occurrences[0];
            (gap.Ticks % Interval.Ticks).ShouldBe(0, $"occurrence {i} is on the schedule's grid");
        }

        jobs.Where(j => j.State == JobState.Succeeded).ShouldAllBe(j => _probe.RunsOf(j.Id).Count == 1);
        await using var db = observer.NewDbContext();
        var schedule = await db.Set<RecurringJob>().AsNoTracking().SingleAsync(s => s.Name == Schedule);
        schedule.Kind.ShouldBe(RecordingHandler.Kind);
        schedule.RepeatInterval.ShouldBe(Interval);
        schedule.LastJobId.ShouldBe(jobs.OrderBy(j => Occurrence(j.IdempotencyKey!)).Last().Id);

        // The next run lies on the grid after the last occurrence; a worker that fell behind skips missed
        // occurrences, so it may be more than one interval ahead. Keys and PostgreSQL keep microseconds.
        var ahead = schedule.NextRunAt - occurrences[^1];
        ahead.ShouldBeGreaterThan(TimeSpan.Zero);
        var offGrid = ahead.Ticks % Interval.Ticks;
        Math.Min(offGrid, Interval.Ticks - offGrid).ShouldBeLessThanOrEqualTo(TimeSpan.FromMicroseconds(1).Ticks, "the next run is on the schedule's grid");
    }

    private static DateTimeOffset Occurrence(string idempotencyKey) =>
        DateTimeOffset.Parse(idempotencyKey[$"recurring:{Schedule}:".Length..], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}

public sealed class SqliteRecurringJobTests() : RecurringJobTests(StorageProvider.Sqlite);

public sealed class PostgresRecurringJobTests() : RecurringJobTests(StorageProvider.Postgres);
