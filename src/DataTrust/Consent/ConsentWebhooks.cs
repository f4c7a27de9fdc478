using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DataTrust.Identity;
using DataTrust.Identity.Keys;
using DataTrust.Jobs;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Consent;

/// <summary>
/// Tells recipients about consent events by signed webhook. <see cref="EnqueueAsync"/> writes the
/// delivery and its job in the caller's transaction (outbox); <see cref="DeliverWebhookJob"/> signs
/// and posts it, retried by the job queue. The body is a Security Event Token (RFC 8417,
/// <c>typ: secevent+jwt</c>, pushed as in RFC 8935) signed ES256 with DataTrust's token keys, which
/// the recipient verifies against <c>/.well-known/jwks.json</c>.
/// </summary>
internal sealed class ConsentWebhooks(JobQueue jobs, TimeProvider clock)
{
    public const string HttpClientName = "DataTrust.Consent.Webhooks";
    public const string EventType = "secevent+jwt";
    public const string EventUriPrefix = "urn:datatrust:consent-event:";

    public async Task<Guid> EnqueueAsync(DataTrustDbContext db, string clientId, Guid? consentId, string eventType, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        var payload = new Dictionary<string, object?>(data, StringComparer.Ordinal) { ["type"] = eventType };
        if (consentId is { } id)
        {
            payload["consentId"] = id.ToString("D");
        }

        var delivery = new WebhookDelivery
        {
            Id = Guid.CreateVersion7(),
            ClientId = clientId,
            ConsentId = consentId,
            EventType = eventType,
            Payload = JsonSerializer.Serialize(payload),
            Status = WebhookDeliveryStatus.Pending,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Add(delivery);
        await jobs.EnqueueAsync(db, DeliverWebhookJob.Kind, new DeliverWebhookJob.Payload(delivery.Id),
            new EnqueueOptions { IdempotencyKey = $"{DeliverWebhookJob.Kind}:{delivery.Id:N}", MaxAttempts = 8 }, cancellationToken);
        return delivery.Id;
    }
}

/// <summary>Delivers one webhook. Idempotent: a delivered one is not sent again; each attempt is logged.</summary>
internal sealed partial class DeliverWebhookJob(
    IDbContextFactory<DataTrustDbContext> contexts, IHttpClientFactory http, SigningKeyStore keys, Issuer issuer, TimeProvider clock, ILogger<DeliverWebhookJob> logger)
    : IJobHandler
{
    public const string Kind = "consent.webhook";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public sealed record Payload(Guid DeliveryId);

    public async Task HandleAsync(JobContext job, CancellationToken cancellationToken)
    {
        var deliveryId = job.ReadPayload<Payload>().DeliveryId;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var delivery = await db.Set<WebhookDelivery>().SingleOrDefaultAsync(d => d.Id == deliveryId, cancellationToken);
        if (delivery is null || delivery.Status is WebhookDeliveryStatus.Delivered or WebhookDeliveryStatus.NoEndpoint)
        {
            return;
        }

        var url = await db.Set<Recipient>().AsNoTracking().Where(r => r.ClientId == delivery.ClientId).Select(r => r.WebhookUrl).SingleOrDefaultAsync(cancellationToken);
        if (url is null)
        {
            delivery.Status = WebhookDeliveryStatus.NoEndpoint;
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        var now = clock.GetUtcNow();
        var body = await SignAsync(delivery, now, cancellationToken);
        int? status = null;
        string? error = null;
        try
        {
            using var content = new StringContent(body, Encoding.ASCII);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/secevent+jwt");
            using var response = await http.CreateClient(ConsentWebhooks.HttpClientName).PostAsync(new Uri(url), content, cancellationToken);
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException e)
        {
            error = e.HttpRequestError.ToString();
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = "timeout";
        }

        delivery.Attempts++;
        delivery.LastAttemptAt = now;
        delivery.LastStatusCode = status;
        var delivered = status is >= 200 and < 300;
        delivery.Status = delivered ? WebhookDeliveryStatus.Delivered : (job.Attempt >= job.MaxAttempts ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending);
        delivery.DeliveredAt = delivered ? now : null;
        db.Add(new WebhookAttempt { DeliveryId = delivery.Id, Attempt = delivery.Attempts, AttemptedAt = now, StatusCode = status, Error = error });
        await db.SaveChangesAsync(cancellationToken);
        if (!delivered)
        {
            LogFailed(logger, delivery.Id, delivery.ClientId, status);
            throw new InvalidOperationException($"Webhook {delivery.Id} to recipient {delivery.ClientId} failed: {status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? error}.");
        }
    }

    private async Task<string> SignAsync(WebhookDelivery delivery, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var data = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(delivery.Payload)!;
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["iss"] = issuer.Background,
            ["aud"] = delivery.ClientId,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["jti"] = delivery.Id.ToString("D"),
            ["events"] = new Dictionary<string, object>(StringComparer.Ordinal) { [ConsentWebhooks.EventUriPrefix + delivery.EventType] = data },
        };
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            TokenType = ConsentWebhooks.EventType,
            SigningCredentials = await keys.SigningCredentialsAsync(SigningKeyStore.ES256, cancellationToken),
        });
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Webhook {DeliveryId} to recipient {ClientId} failed with status {Status}")]
    private static partial void LogFailed(ILogger logger, Guid deliveryId, string clientId, int? status);
}
