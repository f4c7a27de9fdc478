using System.Text.Json;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Token;
using DataTrust.Jobs;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Consent;

public sealed record RecipientRegistration(string? ClientId, string? OrganisationName);

/// <summary>An ethics-board decision: <c>approve</c> or <c>reject</c>; every criterion answered (id → met) to approve.</summary>
public sealed record RecipientReviewInput(string? Decision, IReadOnlyDictionary<string, bool>? Criteria, IReadOnlyList<string>? Reasons);

/// <summary>Reasons for suspending or reinstating a recipient.</summary>
public sealed record RecipientStatusInput(IReadOnlyList<string>? Reasons);

public sealed record RecipientReviewView(string Decision, IReadOnlyDictionary<string, bool> Criteria, IReadOnlyList<string> Reasons, Guid ReviewerId, string PolicyVersion, DateTimeOffset ReviewedAt);

public sealed record RecipientView(
    string ClientId,
    string OrganisationName,
    string ClientKind,
    string Status,
    bool SpecialCareApproved,
    string? WebhookUrl,
    DateTimeOffset RegisteredAt,
    DateTimeOffset StatusChangedAt,
    IReadOnlyList<RecipientReviewView> Reviews);

/// <summary>
/// The data ethics board's side of recipients: register a client as a recipient, review it against
/// <c>policies/recipient-criteria.yaml</c>, suspend and reinstate it. Each change is one transaction
/// with its review row and its audit entry. Suspension also revokes every grant and token of the
/// client and makes the token endpoint refuse it, and every release decision refuses it at once.
/// </summary>
internal sealed class RecipientAdministration(DataTrustDbContext db, DataUsePolicy policy, IAuditLog audit, ConsentWebhooks webhooks, TimeProvider clock)
{
    public const string SuspensionReason = "recipient_suspended";

    public async Task<RecipientView> RegisterAsync(RecipientRegistration registration, AuditActor actor, CancellationToken cancellationToken)
    {
        var clientId = registration.ClientId?.Trim() ?? "";
        var name = registration.OrganisationName?.Trim() ?? "";
        if (name.Length is 0 or > 200)
        {
            throw ConsentException.Invalid("organisation_name_invalid", "organisationName is required and at most 200 characters.");
        }

        var client = await db.Set<Client>().AsNoTracking().SingleOrDefaultAsync(c => c.ClientId == clientId, cancellationToken)
            ?? throw ConsentException.Invalid("client_unknown", $"No client '{clientId}' is registered: register the OAuth client first.");
        if (client.Kind is not (ClientKind.BusinessRecipient or ClientKind.CityOsService))
        {
            throw ConsentException.Invalid("client_kind_invalid", $"Client '{clientId}' is a {client.Kind}; only BusinessRecipient and CityOsService clients can receive data.");
        }

        if (await db.Set<Recipient>().AnyAsync(r => r.ClientId == clientId, cancellationToken))
        {
            throw ConsentException.Conflict("recipient_exists", $"Client '{clientId}' is already registered as a recipient.");
        }

        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(new Recipient { ClientId = clientId, OrganisationName = name, Status = RecipientStatus.Pending, RegisteredAt = now, StatusChangedAt = now });
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new AdminChanged(actor, "recipient.registered", new AuditObject("client", clientId)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(clientId, cancellationToken))!;
    }

    public async Task<IReadOnlyList<RecipientView>> ListAsync(CancellationToken cancellationToken)
    {
        var ids = await db.Set<Recipient>().AsNoTracking().OrderBy(r => r.ClientId).Select(r => r.ClientId).ToListAsync(cancellationToken);
        var views = new List<RecipientView>();
        foreach (var id in ids)
        {
            views.Add((await GetAsync(id, cancellationToken))!);
        }

        return views;
    }

    public async Task<RecipientView?> GetAsync(string clientId, CancellationToken cancellationToken)
    {
        var recipient = await db.Set<Recipient>().AsNoTracking().SingleOrDefaultAsync(r => r.ClientId == clientId, cancellationToken);
        if (recipient is null)
        {
            return null;
        }

        var kind = await db.Set<Client>().AsNoTracking().Where(c => c.ClientId == clientId).Select(c => (ClientKind?)c.Kind).SingleOrDefaultAsync(cancellationToken);
        var reviews = await db.Set<RecipientReview>().AsNoTracking().Where(r => r.ClientId == clientId).OrderBy(r => r.Id).ToListAsync(cancellationToken);
        return new RecipientView(
            recipient.ClientId, recipient.OrganisationName, kind?.ToString() ?? "unknown", Name(recipient.Status), recipient.SpecialCareApproved, recipient.WebhookUrl,
            recipient.RegisteredAt, recipient.StatusChangedAt,
            [.. reviews.Select(r => new RecipientReviewView(
                r.Decision,
                JsonSerializer.Deserialize<Dictionary<string, bool>>(r.Criteria)!,
                JsonSerializer.Deserialize<List<string>>(r.Reasons)!,
                r.ReviewerId, r.PolicyVersion, r.ReviewedAt))]);
    }

    public async Task<RecipientView> ReviewAsync(string clientId, RecipientReviewInput input, AuditActor reviewer, CancellationToken cancellationToken)
    {
        var approve = input.Decision switch
        {
            "approve" or "approved" => true,
            "reject" or "rejected" => false,
            _ => throw ConsentException.Invalid("decision_invalid", "decision must be 'approve' or 'reject'."),
        };
        var criteria = input.Criteria ?? new Dictionary<string, bool>(StringComparer.Ordinal);
        var unknown = criteria.Keys.Where(id => !policy.RecipientCriteria.Any(c => c.Id == id)).ToList();
        if (unknown.Count > 0)
        {
            throw ConsentException.Invalid("criterion_unknown", $"Not a recipient criterion of the policy: {string.Join(", ", unknown)}.");
        }

        var reasons = Reasons(input.Reasons);
        var required = policy.CriteriaFor(receivesSpecialCareData: false).Select(c => c.Id).ToList();
        if (approve)
        {
            var unanswered = required.Where(id => !criteria.ContainsKey(id)).ToList();
            if (unanswered.Count > 0)
            {
                throw ConsentException.Invalid("criteria_incomplete", $"Every criterion must be answered to approve; missing: {string.Join(", ", unanswered)}.");
            }

            var unmet = required.Where(id => !criteria[id]).ToList();
            if (unmet.Count > 0)
            {
                throw ConsentException.Invalid("criteria_not_met", $"A recipient that does not meet every criterion cannot be approved; not met: {string.Join(", ", unmet)}.");
            }
        }
        else if (reasons.Count == 0)
        {
            throw ConsentException.Invalid("reasons_missing", "A rejection needs at least one reason.");
        }

        var specialCare = approve && policy.CriteriaFor(receivesSpecialCareData: true).All(c => criteria.TryGetValue(c.Id, out var met) && met);
        await ChangeAsync(
            clientId,
            [RecipientStatus.Pending, RecipientStatus.Rejected],
            approve ? RecipientStatus.Approved : RecipientStatus.Rejected,
            approve ? "approved" : "rejected",
            criteria,
            reasons,
            reviewer,
            r => r.SpecialCareApproved = specialCare,
            cancellationToken);
        return (await GetAsync(clientId, cancellationToken))!;
    }

    public async Task<RecipientView> SuspendAsync(string clientId, RecipientStatusInput input, AuditActor reviewer, CancellationToken cancellationToken)
    {
        var reasons = Reasons(input.Reasons);
        if (reasons.Count == 0)
        {
            throw ConsentException.Invalid("reasons_missing", "A suspension needs at least one reason.");
        }

        await ChangeAsync(clientId, [RecipientStatus.Approved], RecipientStatus.Suspended, "suspended", null, reasons, reviewer, _ => { }, cancellationToken);
        return (await GetAsync(clientId, cancellationToken))!;
    }

    public async Task<RecipientView> ReinstateAsync(string clientId, RecipientStatusInput input, AuditActor reviewer, CancellationToken cancellationToken)
    {
        await ChangeAsync(clientId, [RecipientStatus.Suspended], RecipientStatus.Approved, "reinstated", null, Reasons(input.Reasons), reviewer, _ => { }, cancellationToken);
        return (await GetAsync(clientId, cancellationToken))!;
    }

    /// <summary>The recipient sets (or clears, with null) where its consent events are posted: https, or http on a loopback host.</summary>
    public async Task<RecipientView> SetWebhookAsync(string clientId, string? url, CancellationToken cancellationToken)
    {
        if (url is not null
            && (url.Length > 500 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo)
                || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))))
        {
            throw ConsentException.Invalid("webhook_url_invalid", "url is an absolute https URL (http only on a loopback host), without user info or fragment, at most 500 characters.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var recipient = await db.Set<Recipient>().SingleOrDefaultAsync(r => r.ClientId == clientId, cancellationToken)
            ?? throw ConsentException.Forbidden("recipient_unknown", $"Client '{clientId}' is not registered as a data recipient.");
        recipient.WebhookUrl = url;
        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new AdminChanged(AuditActor.Client(clientId), url is null ? "recipient.webhook_cleared" : "recipient.webhook_set", new AuditObject("client", clientId)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await GetAsync(clientId, cancellationToken))!;
    }

    internal static string Name(RecipientStatus status) => status.ToString().ToLowerInvariant();

    private static List<string> Reasons(IReadOnlyList<string>? reasons)
    {
        var list = (reasons ?? []).Select(r => r?.Trim() ?? "").Where(r => r.Length > 0).ToList();
        if (list.Count > 20 || list.Any(r => r.Length > 1000))
        {
            throw ConsentException.Invalid("reasons_invalid", "At most 20 reasons of at most 1000 characters each.");
        }

        return list;
    }

    private async Task ChangeAsync(
        string clientId,
        RecipientStatus[] from,
        RecipientStatus to,
        string decision,
        IReadOnlyDictionary<string, bool>? criteria,
        List<string> reasons,
        AuditActor reviewer,
        Action<Recipient> apply,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var recipient = await LockAsync(clientId, cancellationToken)
            ?? throw ConsentException.NotFound("recipient", $"No recipient '{clientId}' is registered.");
        if (!from.Contains(recipient.Status))
        {
            throw ConsentException.Conflict("invalid_transition", $"Recipient '{clientId}' is {Name(recipient.Status)}; it cannot be {decision} now.");
        }

        recipient.Status = to;
        recipient.StatusChangedAt = now;
        apply(recipient);
        db.Add(new RecipientReview
        {
            ClientId = clientId,
            Decision = decision,
            Criteria = JsonSerializer.Serialize(criteria ?? new Dictionary<string, bool>(StringComparer.Ordinal)),
            Reasons = JsonSerializer.Serialize(reasons),
            ReviewerId = reviewer.UserId ?? Guid.Empty,
            PolicyVersion = policy.Version,
            ReviewedAt = now,
        });
        if (to == RecipientStatus.Suspended)
        {
            // Tokens stop at once; releases stop because every decision reads the recipient's status.
            await ClientRevocation.RevokeAllAsync(db, clientId, SuspensionReason, now, cancellationToken);
            await webhooks.EnqueueAsync(db, clientId, consentId: null, "recipient.suspended", new Dictionary<string, object?>(StringComparer.Ordinal) { ["status"] = "suspended" }, cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await audit.AppendAsync(db, new RecipientReviewed(reviewer, clientId, null, decision, criteria?.Keys.Order(StringComparer.Ordinal).ToList()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<Recipient?> LockAsync(string clientId, CancellationToken cancellationToken)
    {
        if (db.IsSqlite)
        {
            await db.Set<Recipient>().Where(r => r.ClientId == clientId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, r => r.Status), cancellationToken);
            return await db.Set<Recipient>().SingleOrDefaultAsync(r => r.ClientId == clientId, cancellationToken);
        }

        return await db.Set<Recipient>().FromSqlInterpolated($"SELECT * FROM recipients WHERE client_id = {clientId} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);
    }
}

/// <summary>A suspended recipient gets no new tokens (the token endpoint asks this).</summary>
internal sealed class RecipientStanding : IClientStanding
{
    // Read for every token issued: compiled, so EF does not translate it again each time.
    private static readonly PerModel<Func<DataTrustDbContext, string, Task<RecipientStatus?>>> StatusOf = new(() =>
        EF.CompileAsyncQuery((DataTrustDbContext db, string clientId) =>
            db.Set<Recipient>().AsNoTracking().Where(r => r.ClientId == clientId).Select(r => (RecipientStatus?)r.Status).SingleOrDefault()));

    public async Task<string?> RefusalAsync(DataTrustDbContext db, string clientId, CancellationToken cancellationToken) =>
        await StatusOf.For(db)(db, clientId) == RecipientStatus.Suspended
            ? "This client is suspended as a data recipient."
            : null;

    // A client that is no recipient has no row: NULL, which is distinct from 'Suspended'.
    public string MayGetTokensSql(string clientId) =>
        $"(SELECT r.status FROM recipients r WHERE r.client_id = {clientId} FOR SHARE) IS DISTINCT FROM '{nameof(RecipientStatus.Suspended)}'";
}

/// <summary>Reads the recipient's client id from the access-token principal.</summary>
internal static class RecipientPrincipal
{
    public static string ClientId(HttpContext context) =>
        context.User.FindFirst(Identity.ResourceServer.AccessTokenAuthentication.ClientIdClaim)?.Value
        ?? throw new InvalidOperationException("The recipient API runs behind the access-token scheme.");
}
