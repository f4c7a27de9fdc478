using System.Globalization;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DataTrust.Jobs;

/// <summary>A recurring schedule declared in code with <see cref="JobsServiceCollectionExtensions.AddRecurringJob"/>.</summary>
internal sealed record RecurringJobDefinition(string Name, string Kind, TimeSpan Interval, string Payload);

/// <summary>
/// Turns due occurrences of the declared schedules into jobs. Each occurrence is claimed with a
/// compare-and-swap on <c>recurring_jobs.next_run_at</c> in the same transaction that inserts its job,
/// and the job carries the idempotency key <c>recurring:{name}:{occurrence}</c>: with any number of
/// workers on one database, one occurrence becomes exactly one job. After downtime the missed
/// occurrences are not made up: one job runs, and the schedule continues from the next future slot.
/// <para>
/// A worker only fires the schedules its own build declares. A schedule removed from the code stays
/// in the table (and in the admin list) but no longer fires once no running build declares it.
/// </para>
/// </summary>
internal sealed partial class RecurringJobScheduler(
    IEnumerable<RecurringJobDefinition> definitions,
    IDbContextFactory<DataTrustDbContext> contexts,
    JobQueue queue,
    TimeProvider clock,
    ILogger<RecurringJobScheduler> logger)
{
    private readonly Dictionary<string, RecurringJobDefinition> _declared =
        definitions.ToDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>Inserts the declared schedules that are new (first occurrence one interval from now) and updates changed ones.</summary>
    public async Task WriteDeclaredSchedulesAsync(CancellationToken cancellationToken)
    {
        if (_declared.Count == 0)
        {
            return;
        }

        for (var round = 1; ; round++)
        {
            try
            {
                await WriteOnceAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException) when (round < 3)
            {
                // Another instance inserted the same schedule at the same moment: read again and merge.
            }
        }
    }

    private async Task WriteOnceAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var names = _declared.Keys.ToList();
        var stored = await db.Set<RecurringJob>().Where(s => names.Contains(s.Name)).ToDictionaryAsync(s => s.Name, StringComparer.Ordinal, cancellationToken);
        foreach (var definition in _declared.Values)
        {
            if (!stored.TryGetValue(definition.Name, out var schedule))
            {
                db.Add(new RecurringJob
                {
                    Name = definition.Name,
                    Kind = definition.Kind,
                    Payload = definition.Payload,
                    RepeatInterval = definition.Interval,
                    NextRunAt = now + definition.Interval,
                    UpdatedAt = now,
                });
                LogScheduleAdded(logger, definition.Name, definition.Kind, definition.Interval);
                continue;
            }

            if (schedule.RepeatInterval != definition.Interval)
            {
                var sooner = now + definition.Interval;
                schedule.NextRunAt = schedule.NextRunAt < sooner ? schedule.NextRunAt : sooner;
                schedule.RepeatInterval = definition.Interval;
            }

            schedule.Kind = definition.Kind;
            schedule.Payload = definition.Payload;
            if (db.Entry(schedule).State == EntityState.Modified)
            {
                schedule.UpdatedAt = now;
                LogScheduleChanged(logger, definition.Name, definition.Kind, definition.Interval);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Enqueues one job for every declared schedule whose next occurrence has come.</summary>
    public async Task EnqueueDueOccurrencesAsync(CancellationToken cancellationToken)
    {
        if (_declared.Count == 0)
        {
            return;
        }

        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var names = _declared.Keys.ToList();
        var due = await db.Set<RecurringJob>().AsNoTracking()
            .Where(s => names.Contains(s.Name) && s.NextRunAt <= now)
            .ToListAsync(cancellationToken);
        foreach (var schedule in due)
        {
            await EnqueueOccurrenceAsync(db, schedule, now, cancellationToken);
        }
    }

    private async Task EnqueueOccurrenceAsync(DataTrustDbContext db, RecurringJob schedule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var occurrence = schedule.NextRunAt;
        var next = NextOccurrence(occurrence, schedule.RepeatInterval, now);
        var job = queue.NewJob(schedule.Kind, schedule.Payload, new EnqueueOptions { IdempotencyKey = OccurrenceKey(schedule.Name, occurrence) });
        job.ScheduleName = schedule.Name;

        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var won = await db.Set<RecurringJob>()
                .Where(s => s.Name == schedule.Name && s.NextRunAt == occurrence)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.NextRunAt, next)
                    .SetProperty(r => r.LastEnqueuedAt, now)
                    .SetProperty(r => r.LastJobId, job.Id), cancellationToken) == 1;
            if (!won)
            {
                return; // another worker enqueued this occurrence
            }

            db.Add(job);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogOccurrenceEnqueued(logger, schedule.Name, job.Id, occurrence, next);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>The first slot after <paramref name="now"/> on the schedule's grid (occurrence + k·interval).</summary>
    internal static DateTimeOffset NextOccurrence(DateTimeOffset occurrence, TimeSpan interval, DateTimeOffset now)
    {
        var next = occurrence + interval;
        if (next > now)
        {
            return next;
        }

        var missed = (now - occurrence).Ticks / interval.Ticks;
        return occurrence + (interval * (missed + 1));
    }

    internal static string OccurrenceKey(string name, DateTimeOffset occurrence) =>
        $"recurring:{name}:{occurrence.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)}";

    [LoggerMessage(EventId = 4040, Level = LogLevel.Information, Message = "Recurring job {Name} ({Kind}, every {Interval}) added")]
    private static partial void LogScheduleAdded(ILogger logger, string name, string kind, TimeSpan interval);

    [LoggerMessage(EventId = 4041, Level = LogLevel.Information, Message = "Recurring job {Name} changed: {Kind}, every {Interval}")]
    private static partial void LogScheduleChanged(ILogger logger, string name, string kind, TimeSpan interval);

    [LoggerMessage(EventId = 4042, Level = LogLevel.Debug, Message = "Recurring job {Name}: occurrence {Occurrence:O} enqueued as job {JobId}; next at {Next:O}")]
    private static partial void LogOccurrenceEnqueued(ILogger logger, string name, Guid jobId, DateTimeOffset occurrence, DateTimeOffset next);
}
