using DataTrust.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Jobs;

/// <summary>The parts of the job system that need no database: registration rules, backoff, schedule arithmetic.</summary>
public sealed class JobRegistrationTests
{
    [Fact]
    public void A_kind_has_one_handler_and_a_schedule_name_one_schedule()
    {
        var services = new ServiceCollection()
            .AddJobHandler<RecordingHandler>(RecordingHandler.Kind)
            .AddRecurringJob("test-tick", RecordingHandler.Kind, TimeSpan.FromMinutes(1));

        Should.Throw<InvalidOperationException>(() => services.AddJobHandler<FailingHandler>(RecordingHandler.Kind));
        Should.Throw<InvalidOperationException>(() => services.AddRecurringJob("test-tick", FailingHandler.Kind, TimeSpan.FromMinutes(5)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper.Case")]
    [InlineData("with space")]
    [InlineData("9starts-with-digit")]
    [InlineData("ünïcode")]
    public void Malformed_kinds_and_schedule_names_are_refused(string name)
    {
        var services = new ServiceCollection();

        Should.Throw<ArgumentException>(() => services.AddJobHandler<RecordingHandler>(name));
        Should.Throw<ArgumentException>(() => services.AddRecurringJob(name, RecordingHandler.Kind, TimeSpan.FromMinutes(1)));
        Should.Throw<ArgumentException>(() => services.AddRecurringJob("test-tick", name, TimeSpan.FromMinutes(1)));
        services.ShouldBeEmpty();
    }

    [Fact]
    public void A_schedule_needs_a_positive_interval() =>
        Should.Throw<ArgumentOutOfRangeException>(() => new ServiceCollection().AddRecurringJob("test-tick", RecordingHandler.Kind, TimeSpan.Zero));

    [Theory]
    [InlineData(1, 5, 10)]
    [InlineData(2, 10, 20)]
    [InlineData(5, 80, 160)]
    [InlineData(9, 1280, 2560)]
    [InlineData(10, 1800, 3600)] // 5120 s capped at one hour
    [InlineData(500, 1800, 3600)]
    public void Backoff_doubles_per_attempt_up_to_the_cap_with_half_of_it_jittered(int attempt, double minSeconds, double maxSeconds)
    {
        var delays = Enumerable.Range(0, 200)
            .Select(_ => RetryBackoff.After(attempt, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1)).TotalSeconds)
            .ToList();

        delays.ShouldAllBe(d => d >= minSeconds && d <= maxSeconds);
        delays.Distinct().Count().ShouldBeGreaterThan(100, "the delay is jittered");
    }

    [Fact]
    public void A_job_context_and_a_claim_never_print_their_payload()
    {
        var context = new JobContext(Guid.NewGuid(), "mail.send", 1, 8, "mail.send:resident-4711", "vm:1:ab", """{"email":"hanako@example.jp"}""");
        var claim = new ClaimedJob(context.JobId, "mail.send", context.Payload, "mail.send:hanako@example.jp", 1, 8, "vm:1:ab", Guid.NewGuid());

        context.ToString().ShouldNotContain("hanako");
        context.ToString().ShouldContain(context.JobId.ToString());
        claim.ToString().ShouldNotContain("hanako");
        claim.ToString().ShouldContain(claim.LockToken.ToString());
    }

    [Fact]
    public void Missed_occurrences_are_not_made_up_after_downtime()
    {
        var occurrence = new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);
        var hour = TimeSpan.FromHours(1);

        RecurringJobScheduler.NextOccurrence(occurrence, hour, occurrence.AddMinutes(1)).ShouldBe(occurrence.AddHours(1));
        RecurringJobScheduler.NextOccurrence(occurrence, hour, occurrence.AddHours(5).AddMinutes(30)).ShouldBe(occurrence.AddHours(6));
        RecurringJobScheduler.NextOccurrence(occurrence, hour, occurrence.AddHours(6)).ShouldBe(occurrence.AddHours(7));
    }

    [Fact]
    public void An_occurrence_key_names_the_schedule_and_the_instant_to_the_microsecond() =>
        RecurringJobScheduler.OccurrenceKey("audit-checkpoint", new DateTimeOffset(2026, 11, 21, 9, 30, 0, 123, TimeSpan.FromHours(9)).AddTicks(4567))
            .ShouldBe("recurring:audit-checkpoint:2026-11-21T00:30:00.123456Z");
}
