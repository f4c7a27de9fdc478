using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Jobs;

/// <summary>
/// A recurring schedule in the <c>recurring_jobs</c> table. Schedules are declared in code
/// (<see cref="JobsServiceCollectionExtensions.AddRecurringJob"/>) and written here when a worker starts;
/// the row's <see cref="NextRunAt"/> is advanced with a compare-and-swap in the same transaction that
/// enqueues the occurrence, so that one occurrence becomes one job however many workers share the database.
/// </summary>
internal sealed class RecurringJob
{
    public const int NameMaxLength = 100;

    public string Name { get; set; } = "";

    public string Kind { get; set; } = "";

    /// <summary>JSON handed to every occurrence's handler.</summary>
    public string Payload { get; set; } = "{}";

    public TimeSpan RepeatInterval { get; set; }

    /// <summary>The next occurrence: due when this instant has passed.</summary>
    public DateTimeOffset NextRunAt { get; set; }

    public DateTimeOffset? LastEnqueuedAt { get; set; }

    public Guid? LastJobId { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class RecurringJobConfiguration : IEntityTypeConfiguration<RecurringJob>
{
    public void Configure(EntityTypeBuilder<RecurringJob> schedule)
    {
        schedule.ToTable("recurring_jobs");
        schedule.HasKey(s => s.Name);
        schedule.Property(s => s.Name).HasMaxLength(RecurringJob.NameMaxLength);
        schedule.Property(s => s.Kind).HasMaxLength(Job.KindMaxLength);
        schedule.HasIndex(s => s.NextRunAt);
    }
}
