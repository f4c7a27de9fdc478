using System.Security.Claims;
using DataTrust.Accounts;
using DataTrust.Audit.Events;
using DataTrust.Common.Http;
using DataTrust.Identity.ResourceServer;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using IdentityScopes = DataTrust.Identity.Protocol.Scopes;

namespace DataTrust.Consent;

public sealed record GrantInput(Guid DataRequestId, IReadOnlyList<string>? Categories, string? Duration);

public sealed record NarrowingInput(IReadOnlyList<string>? Categories, string? Duration);

public sealed record DenyInput(Guid DataRequestId);

public sealed record ConsentRequestInput(Guid DataRequestId, string? Subject);

public sealed record WebhookInput(string? Url);

public sealed record ReceiptInput(string? Receipt);

public sealed record NotificationView(Guid Id, Guid? ConsentId, string Kind, DateTimeOffset CreatedAt, DateTimeOffset? ReadAt);

public sealed record WebhookDeliveryView(Guid Id, Guid? ConsentId, string EventType, string Status, int Attempts, int? LastStatusCode, DateTimeOffset? LastAttemptAt, DateTimeOffset? DeliveredAt, DateTimeOffset CreatedAt);

/// <summary>
/// The consent ledger's JSON APIs. Residents (cookie) under <c>/api/me</c>; recipients (access token,
/// scopes <c>datatrust.requests</c> and <c>datatrust.consents</c>) under <c>/api/recipient</c>; the ethics
/// board (operator cookie) under <c>/api/admin</c>; receipt verification is public. Errors are RFC 9457
/// problem details with a <c>code</c>.
/// </summary>
internal static class ConsentEndpoints
{
    public static IEndpointRouteBuilder MapConsent(this IEndpointRouteBuilder endpoints)
    {
        MapAdmin(endpoints);
        MapRecipient(endpoints);
        MapResident(endpoints);
        endpoints.MapPost("/api/consent-receipts/verify", async (ReceiptInput input, ConsentReceipts receipts, DataTrustDbContext db, CancellationToken ct) =>
                TypedResults.Ok(await receipts.VerifyAsync(db, input.Receipt, ct)))
            .AllowAnonymous().DisableAntiforgery().RequireRateLimiting(RateLimiting.Sensitive).WithTags("Consent receipts")
            .WithSummary("Verify a consent receipt (compact JWS): valid or not, and the consent's current state");
        return endpoints;
    }

    private static void MapAdmin(IEndpointRouteBuilder endpoints)
    {
        var recipients = endpoints.MapGroup("/api/admin/recipients").RequireAuthorization(AccessPolicies.Operator).RequireRateLimiting(RateLimiting.Sensitive).WithTags("Recipients");
        recipients.MapGet("/", async (RecipientAdministration admin, CancellationToken ct) => TypedResults.Ok(await admin.ListAsync(ct))).WithSummary("All recipients");
        recipients.MapPost("/", (RecipientRegistration input, RecipientAdministration admin, ClaimsPrincipal user, CancellationToken ct) =>
            ConsentApi.Run(() => admin.RegisterAsync(input, Operator(user), ct), v => TypedResults.Created($"/api/admin/recipients/{Uri.EscapeDataString(v.ClientId)}", v)))
            .WithSummary("Register a client as a data recipient (pending review)");
        recipients.MapGet("/{clientId}", async (string clientId, RecipientAdministration admin, CancellationToken ct) =>
            await admin.GetAsync(clientId, ct) is { } view ? TypedResults.Ok(view) : ConsentApi.Problem(ConsentException.NotFound("recipient", $"No recipient '{clientId}' is registered.")))
            .WithSummary("One recipient with its review history");
        recipients.MapPost("/{clientId}/review", (string clientId, RecipientReviewInput input, RecipientAdministration admin, ClaimsPrincipal user, CancellationToken ct) =>
            ConsentApi.Run(() => admin.ReviewAsync(clientId, input, Operator(user), ct), TypedResults.Ok)).WithSummary("Approve (every criterion answered and met) or reject (with reasons)");
        recipients.MapPost("/{clientId}/suspend", (string clientId, RecipientStatusInput input, RecipientAdministration admin, ClaimsPrincipal user, CancellationToken ct) =>
            ConsentApi.Run(() => admin.SuspendAsync(clientId, input, Operator(user), ct), TypedResults.Ok)).WithSummary("Suspend: releases and tokens stop at once");
        recipients.MapPost("/{clientId}/reinstate", (string clientId, RecipientStatusInput input, RecipientAdministration admin, ClaimsPrincipal user, CancellationToken ct) =>
            ConsentApi.Run(() => admin.ReinstateAsync(clientId, input, Operator(user), ct), TypedResults.Ok)).WithSummary("Reinstate a suspended recipient");

        var requests = endpoints.MapGroup("/api/admin/data-requests").RequireAuthorization(AccessPolicies.Operator).RequireRateLimiting(RateLimiting.Sensitive).WithTags("Data requests");
        requests.MapGet("/", (string? state, DataRequests requests, CancellationToken ct) => ConsentApi.Run(() => requests.ListAsync(state, ct), TypedResults.Ok))
            .WithSummary("The review queue (submitted), or requests in ?state=");
        requests.MapGet("/{id:guid}", (Guid id, DataRequests requests, CancellationToken ct) => ConsentApi.Run(() => requests.GetAsync(id, ct), TypedResults.Ok));
        requests.MapPost("/{id:guid}/review", (Guid id, DataRequestReviewInput input, DataRequests requests, ClaimsPrincipal user, CancellationToken ct) =>
            ConsentApi.Run(() => requests.ReviewAsync(id, input, Operator(user), ct), TypedResults.Ok))
            .WithSummary("Approve (publish) or reject a submitted request; special-care categories need sensitiveDataApproved: true");
    }

    private static void MapRecipient(IEndpointRouteBuilder endpoints)
    {
        var requests = endpoints.MapGroup("/api/recipient/data-requests").WithTags("Recipient API")
            .RequireAuthorization(p => p.AddAuthenticationSchemes(AccessTokenAuthentication.Scheme).RequireAuthenticatedUser().RequireScope(IdentityScopes.DataRequests));
        requests.MapGet("/", (HttpContext http, DataRequests requests, CancellationToken ct) => ConsentApi.Run(() => requests.ListOwnAsync(Client(http), ct), TypedResults.Ok));
        requests.MapPost("/", (DataRequestInput input, HttpContext http, DataRequests requests, CancellationToken ct) =>
            ConsentApi.Run(() => requests.CreateDraftAsync(Client(http), input, ct), v => TypedResults.Created($"/api/recipient/data-requests/{v.Id}", v)))
            .WithSummary("Draft a data request");
        requests.MapGet("/{id:guid}", (Guid id, HttpContext http, DataRequests requests, CancellationToken ct) => ConsentApi.Run(() => requests.GetOwnAsync(Client(http), id, ct), TypedResults.Ok));
        requests.MapPut("/{id:guid}", (Guid id, DataRequestInput input, HttpContext http, DataRequests requests, CancellationToken ct) =>
            ConsentApi.Run(() => requests.UpdateDraftAsync(Client(http), id, input, ct), TypedResults.Ok)).WithSummary("Change a draft");
        requests.MapPost("/{id:guid}/submit", (Guid id, HttpContext http, DataRequests requests, CancellationToken ct) =>
            ConsentApi.Run(() => requests.SubmitAsync(Client(http), id, ct), TypedResults.Ok)).WithSummary("Submit a draft for review");
        requests.MapPost("/{id:guid}/withdraw", (Guid id, HttpContext http, DataRequests requests, CancellationToken ct) =>
            ConsentApi.Run(() => requests.WithdrawAsync(Client(http), id, ct), TypedResults.Ok)).WithSummary("Withdraw a request");

        var consents = endpoints.MapGroup("/api/recipient").WithTags("Recipient API")
            .RequireAuthorization(p => p.AddAuthenticationSchemes(AccessTokenAuthentication.Scheme).RequireAuthenticatedUser().RequireScope(IdentityScopes.Consents));
        consents.MapPost("/consent-requests", (ConsentRequestInput input, HttpContext http, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.RequestAsync(Client(http), input.DataRequestId, input.Subject, ct), v => TypedResults.Accepted($"/api/recipient/consents/{v.Id}", v)))
            .WithSummary("Ask a resident (by pairwise subject) to consent; the answer comes by webhook or polling");
        consents.MapGet("/consents", (HttpContext http, ConsentLedger ledger, CancellationToken ct) => ConsentApi.Run(() => ledger.ListForRecipientAsync(Client(http), ct), TypedResults.Ok));
        consents.MapGet("/consents/{id:guid}", (Guid id, HttpContext http, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.StatusForRecipientAsync(Client(http), id, ct), TypedResults.Ok)).WithSummary("Poll a consent's status");
        consents.MapGet("/consents/{id:guid}/receipts", (Guid id, HttpContext http, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.ReceiptsForRecipientAsync(Client(http), id, ct), TypedResults.Ok));
        consents.MapPost("/consents/{id:guid}/deletion-confirmation", (Guid id, HttpContext http, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.ConfirmDeletionAsync(Client(http), id, ct), TypedResults.Ok)).WithSummary("Confirm the data under an ended consent is deleted");
        consents.MapPut("/webhook", (WebhookInput input, HttpContext http, RecipientAdministration admin, CancellationToken ct) =>
            ConsentApi.Run(() => admin.SetWebhookAsync(Client(http), input.Url, ct), TypedResults.Ok)).WithSummary("Set (or clear, with null) the webhook URL");
        consents.MapGet("/webhook/deliveries", async (HttpContext http, DataTrustDbContext db, CancellationToken ct) =>
        {
            var client = Client(http);
            var rows = await db.Set<WebhookDelivery>().AsNoTracking().Where(d => d.ClientId == client).OrderByDescending(d => d.CreatedAt).Take(200).ToListAsync(ct);
            return TypedResults.Ok(rows.Select(d => new WebhookDeliveryView(d.Id, d.ConsentId, d.EventType, d.Status.ToString().ToLowerInvariant(), d.Attempts, d.LastStatusCode, d.LastAttemptAt, d.DeliveredAt, d.CreatedAt)).ToList());
        }).WithSummary("The webhook delivery log, newest first");
    }

    private static void MapResident(IEndpointRouteBuilder endpoints)
    {
        var me = endpoints.MapGroup("/api/me").RequireAuthorization(AccessPolicies.Resident).WithTags("Resident consents");
        me.MapGet("/data-requests", async (DataRequests requests, CancellationToken ct) => TypedResults.Ok(await requests.ListPublishedAsync(ct)))
            .WithSummary("Published data requests one can consent to");
        me.MapGet("/consents", (string? state, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) => ConsentApi.Run(() => ledger.ListAsync(Resident(user), state, ct), TypedResults.Ok));
        me.MapGet("/consents/inbox", (ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) => ConsentApi.Run(() => ledger.InboxAsync(Resident(user), ct), TypedResults.Ok))
            .WithSummary("Requests from recipients waiting for an answer");
        me.MapGet("/consents/{id:guid}", (Guid id, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) => ConsentApi.Run(() => ledger.GetAsync(Resident(user), id, ct), TypedResults.Ok));
        me.MapGet("/consents/{id:guid}/receipts", (Guid id, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.ReceiptsAsync(Resident(user), id, ct), TypedResults.Ok));
        me.MapPost("/consents", (GrantInput input, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.GrantAsync(Resident(user), input.DataRequestId, new ConsentNarrowing(input.Categories, input.Duration), null, ct),
                v => TypedResults.Created($"/api/me/consents/{v.Id}", v)))
            .WithSummary("Grant a published request, optionally narrowed (fewer categories, shorter duration)");
        me.MapPost("/consents/refusals", (DenyInput input, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.DenyAsync(Resident(user), input.DataRequestId, ct), v => TypedResults.Created($"/api/me/consents/{v.Id}", v)))
            .WithSummary("Refuse a published request");
        me.MapPost("/consents/{id:guid}/grant", (Guid id, NarrowingInput? input, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.GrantRequestedAsync(Resident(user), id, new ConsentNarrowing(input?.Categories, input?.Duration), ct), TypedResults.Ok))
            .WithSummary("Approve an inbox request, optionally narrowed");
        me.MapPost("/consents/{id:guid}/refuse", (Guid id, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.RefuseAsync(Resident(user), id, ct), TypedResults.Ok));
        me.MapPost("/consents/{id:guid}/pause", (Guid id, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.PauseAsync(Resident(user), id, ct), TypedResults.Ok));
        me.MapPost("/consents/{id:guid}/resume", (Guid id, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.ResumeAsync(Resident(user), id, ct), TypedResults.Ok));
        me.MapPost("/consents/{id:guid}/revoke", (Guid id, ClaimsPrincipal user, ConsentLedger ledger, CancellationToken ct) =>
            ConsentApi.Run(() => ledger.RevokeAsync(Resident(user), id, ct), TypedResults.Ok));
        me.MapGet("/notifications", async (ClaimsPrincipal user, DataTrustDbContext db, CancellationToken ct) =>
        {
            var resident = Resident(user);
            var rows = await db.Set<ResidentNotification>().AsNoTracking().Where(n => n.ResidentId == resident).OrderByDescending(n => n.CreatedAt).Take(200).ToListAsync(ct);
            return TypedResults.Ok(rows.Select(n => new NotificationView(n.Id, n.ConsentId, n.Kind, n.CreatedAt, n.ReadAt)).ToList());
        });

        var rules = me.MapGroup("/standing-instructions");
        rules.MapGet("/", (ClaimsPrincipal user, StandingInstructions rules, CancellationToken ct) => ConsentApi.Run(() => rules.ListAsync(Resident(user), ct), TypedResults.Ok));
        rules.MapPost("/", (StandingInstructionInput input, ClaimsPrincipal user, StandingInstructions rules, CancellationToken ct) =>
            ConsentApi.Run(() => rules.CreateAsync(Resident(user), input, ct), v => TypedResults.Created($"/api/me/standing-instructions/{v.Id}", v)));
        rules.MapGet("/{id:guid}", (Guid id, ClaimsPrincipal user, StandingInstructions rules, CancellationToken ct) => ConsentApi.Run(() => rules.GetAsync(Resident(user), id, ct), TypedResults.Ok));
        rules.MapPut("/{id:guid}", (Guid id, StandingInstructionInput input, ClaimsPrincipal user, StandingInstructions rules, CancellationToken ct) =>
            ConsentApi.Run(() => rules.UpdateAsync(Resident(user), id, input, ct), TypedResults.Ok));
        rules.MapDelete("/{id:guid}", (Guid id, ClaimsPrincipal user, StandingInstructions rules, CancellationToken ct) =>
            ConsentApi.Run(async () => { await rules.DeleteAsync(Resident(user), id, ct); return true; }, _ => TypedResults.NoContent()));
    }

    private static string Client(HttpContext http) => RecipientPrincipal.ClientId(http);

    private static Guid Resident(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : throw new InvalidOperationException("Only a signed-in resident reaches /api/me.");

    private static AuditActor Operator(ClaimsPrincipal user) =>
        AuditActor.FromUser(user, AuditActorType.Operator) ?? throw new InvalidOperationException("Only a signed-in operator reaches the admin API.");
}
