using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Consent;

/// <summary>
/// One consent event to be told to a recipient by webhook, written in the transaction of the change
/// (outbox), delivered by a durable job with retries. Kept as the delivery log for the business console.
/// </summary>
internal sealed class WebhookDelivery
{
    public Guid Id { get; set; }

    public string ClientId { get; set; } = "";

    public Guid? ConsentId { get; set; }

    /// <summary>e.g. <c>consent.revoked</c>, <c>consent.paused</c>, <c>consent.expired</c>, <c>consent.granted</c>, <c>recipient.suspended</c>.</summary>
    public string EventType { get; set; } = "";

    /// <summary>The event's claims (JSON object) before signing: ids and states only.</summary>
    public string Payload { get; set; } = "{}";

    public WebhookDeliveryStatus Status { get; set; }

    public int Attempts { get; set; }

    public int? LastStatusCode { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal enum WebhookDeliveryStatus
{
    Pending,
    Delivered,
    Failed,

    /// <summary>The recipient has no webhook URL: nothing was sent; it must poll.</summary>
    NoEndpoint,
}

/// <summary>One attempt to deliver a webhook.</summary>
internal sealed class WebhookAttempt
{
    public long Id { get; set; }

    public Guid DeliveryId { get; set; }

    public int Attempt { get; set; }

    public DateTimeOffset AttemptedAt { get; set; }

    public int? StatusCode { get; set; }

    /// <summary>Why it failed without a status code (timeout, connection refused); no response bodies.</summary>
    public string? Error { get; set; }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> delivery)
    {
        delivery.ToTable("webhook_deliveries");
        delivery.HasKey(d => d.Id);
        delivery.Property(d => d.ClientId).HasMaxLength(100);
        delivery.HasIndex(d => d.ClientId);
        delivery.Property(d => d.EventType).HasMaxLength(32);
        delivery.Property(d => d.Status).HasConversion<string>().HasMaxLength(16);
    }
}

internal sealed class WebhookAttemptConfiguration : IEntityTypeConfiguration<WebhookAttempt>
{
    public void Configure(EntityTypeBuilder<WebhookAttempt> attempt)
    {
        attempt.ToTable("webhook_attempts");
        attempt.HasKey(a => a.Id);
        attempt.HasOne<WebhookDelivery>().WithMany().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
        attempt.Property(a => a.Error).HasMaxLength(200);
    }
}
