using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DataTrust.Audit.Events;
using DataTrust.Consent;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using DataTrust.Tests.Identity;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Tests.Consent;

/// <summary>Consents from the resident's side: grant (narrowed), pause, resume, revoke, receipts, and what a revoke, an expiry or a suspension does to tokens, releases and webhooks.</summary>
public abstract class ConsentLifecycleTests(StorageProvider provider) : IDisposable
{
    private readonly ConsentHost _host = new(provider);

    public void Dispose()
    {
        _host.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_resident_grants_narrowed_pauses_resumes_and_revokes_each_change_a_new_version_event_receipt_and_audit_entry()
    {
        var (_, _, requestId) = await _host.PublishedRequestAsync("rcpt-life");
        var hanako = await ConsentHost.ResidentAsync(_host);
        var hanakoId = await _host.AccountIdAsync("hanako@example.jp");

        var before = await _host.LedgerStateAsync();
        await ConsentHost.ShouldBeProblemAsync(await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId, categories = new[] { "health-checkup" } }),
            HttpStatusCode.BadRequest, "narrowing_beyond_request");
        await ConsentHost.ShouldBeProblemAsync(await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId, duration = "P1Y" }),
            HttpStatusCode.BadRequest, "narrowing_beyond_request");
        await ConsentHost.ShouldBeProblemAsync(await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = Guid.NewGuid() }), HttpStatusCode.NotFound, "not_found");
        (await _host.LedgerStateAsync()).ShouldBe(before);

        var granted = await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId, categories = new[] { "mobility" }, duration = "P3M" });
        granted.StatusCode.ShouldBe(HttpStatusCode.Created, await granted.Content.ReadAsStringAsync());
        var consent = await Oidc.Json(granted);
        var id = consent.GetProperty("id").GetGuid();
        consent.GetProperty("state").GetString().ShouldBe("given");
        consent.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("category").GetString()).ShouldBe(["mobility"]);
        consent.GetProperty("duration").GetString().ShouldBe("P3M");
        consent.GetProperty("expiresAt").GetDateTimeOffset().ShouldBe(_host.Clock.GetUtcNow().AddMonths(3), TimeSpan.FromSeconds(1));

        await ConsentHost.ShouldBeProblemAsync(await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId }), HttpStatusCode.Conflict, "consent_exists");
        (await hanako.PostAsync($"/api/me/consents/{id}/pause", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ConsentHost.ShouldBeProblemAsync(await hanako.PostAsync($"/api/me/consents/{id}/pause", null), HttpStatusCode.Conflict, "invalid_transition");
        (await hanako.PostAsync($"/api/me/consents/{id}/resume", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hanako.PostAsync($"/api/me/consents/{id}/revoke", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var taro = await ConsentHost.ResidentAsync(_host, "taro@example.jp"); // signing in is audited: before the count
        before = await _host.LedgerStateAsync();
        foreach (var action in new[] { "resume", "pause", "revoke", "grant", "refuse" })
        {
            var refused = await hanako.PostAsync($"/api/me/consents/{id}/{action}", action == "grant" ? JsonContent.Create(new { }) : null);
            await ConsentHost.ShouldBeProblemAsync(refused, HttpStatusCode.Conflict, "invalid_transition");
            (await refused.Content.ReadAsStringAsync()).ShouldContain("withdrawn");
        }

        // Another resident sees nothing of it and cannot touch it.
        await ConsentHost.ShouldBeProblemAsync(await taro.PostAsync($"/api/me/consents/{id}/pause", null), HttpStatusCode.NotFound, "not_found");
        await ConsentHost.ShouldBeProblemAsync(await taro.GetAsync($"/api/me/consents/{id}"), HttpStatusCode.NotFound, "not_found");
        (await _host.LedgerStateAsync()).ShouldBe(before, "refused transitions change nothing and audit nothing");

        var history = await Oidc.Json(await hanako.GetAsync($"/api/me/consents/{id}"));
        (history.GetProperty("state").GetString(), history.GetProperty("version").GetInt32()).ShouldBe(("withdrawn", 4));
        history.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ShouldBe(["granted", "paused", "resumed", "withdrawn"]);
        await using (var db = _host.NewDbContext())
        {
            (await db.Set<ConsentVersion>().Where(v => v.ConsentId == id).OrderBy(v => v.Version).Select(v => v.State).ToListAsync())
                .ShouldBe([ConsentState.Given, ConsentState.Paused, ConsentState.Given, ConsentState.Withdrawn]);
        }

        var audit = (await _host.AuditAsync()).Where(e => e.Consent == id.ToString("D")).ToList();
        audit.Select(e => e.Action).ShouldBe([AuditAction.ConsentGranted, AuditAction.ConsentPaused, AuditAction.ConsentResumed, AuditAction.ConsentRevoked]);
        audit.ShouldAllBe(e => e.Recipient == "rcpt-life" && e.ActorType == "resident" && e.Subject != null && !e.Subject.Contains(hanakoId.ToString()));

        var receipts = await Oidc.Json(await hanako.GetAsync($"/api/me/consents/{id}/receipts"));
        receipts.GetArrayLength().ShouldBe(4);
        var first = receipts.EnumerateArray().Last().GetProperty("jws").GetString()!;
        await VerifyReceiptAsync(first, hanakoId);

        // A standard JOSE library outside .NET verifies it against the published keys, and refuses a forgery.
        var jwks = await _host.CreateClient().GetStringAsync("/.well-known/jwks.json");
        var (exit, output) = await JoseScripts.RunAsync("receipt-verify.mjs", jwks, first);
        exit.ShouldBe(0, output);
        var verified = JsonDocument.Parse(output).RootElement;
        verified.GetProperty("header").GetProperty("alg").GetString().ShouldBe("ES256");
        verified.GetProperty("payload").GetProperty("consentId").GetString().ShouldBe(id.ToString("D"));
        var parts = first.Split('.');
        var forged = Base64UrlEncoder.Encode(Base64UrlEncoder.Decode(parts[1]).Replace("\"given\"", "\"paused\"", StringComparison.Ordinal));
        (await JoseScripts.RunAsync("receipt-verify.mjs", jwks, $"{parts[0]}.{forged}.{parts[2]}")).Exit.ShouldNotBe(0);
    }

    [Fact]
    public async Task Grants_of_one_request_sent_at_once_make_one_consent_and_the_rest_are_told_it_exists()
    {
        var (_, _, requestId) = await _host.PublishedRequestAsync("rcpt-double");
        var hanako = await ConsentHost.ResidentAsync(_host);
        var hanakoId = await _host.AccountIdAsync("hanako@example.jp");

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId })));

        answers.Count(a => a.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.Created))
        {
            await ConsentHost.ShouldBeProblemAsync(refused, HttpStatusCode.Conflict, "consent_exists");
        }

        await using (var db = _host.NewDbContext())
        {
            (await db.Set<ConsentHead>().CountAsync(c => c.ResidentId == hanakoId && c.DataRequestId == requestId)).ShouldBe(1);
            (await db.Set<ConsentVersion>().CountAsync()).ShouldBe(1);
        }

        (await _host.AuditAsync(AuditAction.ConsentGranted)).Count.ShouldBe(1);

        // The guard is on live consents only: once revoked, the request can be granted again.
        var id = (await Oidc.Json(answers.Single(a => a.StatusCode == HttpStatusCode.Created))).GetProperty("id").GetGuid();
        (await hanako.PostAsync($"/api/me/consents/{id}/revoke", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId })).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task The_database_holds_at_most_one_live_consent_per_resident_and_request()
    {
        var (_, _, requestId) = await _host.PublishedRequestAsync("rcpt-unique");
        var hanako = await ConsentHost.ResidentAsync(_host);
        var granted = await Oidc.Json(await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId }));
        var id = granted.GetProperty("id").GetGuid();

        // A second live row written past the ledger (as a racing request would) is refused by the database itself.
        await using var db = _host.NewDbContext();
        var first = await db.Set<ConsentHead>().AsNoTracking().SingleAsync(c => c.Id == id);
        foreach (var state in new[] { ConsentState.Requested, ConsentState.Given, ConsentState.Paused })
        {
            db.Add(new ConsentHead
            {
                Id = Guid.CreateVersion7(), ResidentId = first.ResidentId, ClientId = first.ClientId, DataRequestId = requestId, Version = 1, State = state,
                CreatedAt = first.CreatedAt, UpdatedAt = first.UpdatedAt,
            });
            var refused = await Should.ThrowAsync<DbUpdateException>(() => db.SaveChangesAsync());
            DuplicateKey.Caused(refused).ShouldBeTrue(refused.ToString());
            db.ChangeTracker.Clear();
        }

        db.Add(new ConsentHead
        {
            Id = Guid.CreateVersion7(), ResidentId = first.ResidentId, ClientId = first.ClientId, DataRequestId = requestId, Version = 1, State = ConsentState.Withdrawn,
            CreatedAt = first.CreatedAt, UpdatedAt = first.UpdatedAt,
        });
        await db.SaveChangesAsync();
    }

    private async Task VerifyReceiptAsync(string receipt, Guid residentId)
    {
        var jwks = new JsonWebKeySet(await _host.CreateClient().GetStringAsync("/.well-known/jwks.json"));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(receipt, new TokenValidationParameters
        {
            IssuerSigningKeys = jwks.Keys,
            ValidIssuer = Oidc.Issuer,
            ValidateAudience = false,
            ValidateLifetime = false,
            ValidTypes = ["consent-receipt+jwt"],
        });
        result.IsValid.ShouldBeTrue(result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        token.Kid.ShouldNotBeNullOrEmpty();
        token.Alg.ShouldBe("ES256");
        var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload)).RootElement;
        payload.GetProperty("version").GetString().ShouldBe("KI-CR-v1.1.0");
        payload.GetProperty("jurisdiction").GetString().ShouldBe("JP");
        payload.GetProperty("state").GetString().ShouldBe("given");
        payload.GetProperty("dpvStatus").GetString().ShouldBe("https://w3id.org/dpv#ConsentGiven");
        payload.GetProperty("piiControllers").GetArrayLength().ShouldBe(2);
        var purpose = payload.GetProperty("services")[0].GetProperty("purposes")[0];
        purpose.GetProperty("purposeId").GetString().ShouldBe("mobility-improvement");
        purpose.GetProperty("dpvPurposes").EnumerateArray().Select(p => p.GetString()).ShouldContain("https://w3id.org/dpv#ImproveTransportMobility");
        purpose.GetProperty("piiCategory").EnumerateArray().Select(p => p.GetString()).ShouldBe(["mobility"]);
        payload.GetProperty("sensitive").GetBoolean().ShouldBeFalse();
        payload.GetProperty("sub").GetString().ShouldNotBe(residentId.ToString());
        payload.ToString().ShouldNotContain("hanako");
        payload.ToString().ShouldNotContain(residentId.ToString());

        var anonymous = _host.CreateClient();
        var verified = await Oidc.Json(await anonymous.PostAsJsonAsync("/api/consent-receipts/verify", new { receipt }));
        verified.GetProperty("valid").GetBoolean().ShouldBeTrue();
        verified.GetProperty("currentState").GetString().ShouldBe("withdrawn");
        verified.GetProperty("version").GetInt32().ShouldBe(1);

        var parts = receipt.Split('.');
        var tamperedPayload = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(Base64UrlEncoder.Decode(parts[1]).Replace("\"given\"", "\"refused\"", StringComparison.Ordinal)));
        foreach (var tampered in new[] { $"{parts[0]}.{tamperedPayload}.{parts[2]}", $"{parts[0]}.{parts[1]}.{parts[2][..^4]}AAAA", "not-a-receipt", "" })
        {
            var answer = await Oidc.Json(await anonymous.PostAsJsonAsync("/api/consent-receipts/verify", new { receipt = tampered }));
            answer.GetProperty("valid").GetBoolean().ShouldBeFalse(tampered);
            answer.GetProperty("currentState").ValueKind.ShouldBe(JsonValueKind.Null);
        }
    }

    [Fact]
    public async Task Revoking_a_consent_given_through_OAuth_stops_its_tokens_and_tells_the_recipient_by_signed_webhook()
    {
        var (_, recipient, requestId) = await _host.PublishedRequestAsync("rcpt-oauth");
        (await recipient.PutAsJsonAsync("/api/recipient/webhook", new { url = "https://rcpt-oauth.example/hooks" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ConsentHost.ShouldBeProblemAsync(await recipient.PutAsJsonAsync("/api/recipient/webhook", new { url = "http://rcpt-oauth.example/hooks" }), HttpStatusCode.BadRequest, "webhook_url_invalid");

        // The resident signs in to the recipient through OIDC: a grant and an access token under it.
        var hanako = await ConsentHost.ResidentAsync(_host);
        var hanakoId = await _host.AccountIdAsync("hanako@example.jp");
        var (verifier, challenge) = Oidc.NewPkce();
        var code = Oidc.Code(await Oidc.AuthorizeAsync(hanako, Oidc.AuthorizeQuery("rcpt-oauth", challenge)));
        var tokenResponse = await _host.CreateClient().SendAsync(Oidc.TokenRequest(new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = Oidc.RedirectUri, ["code_verifier"] = verifier,
        }, "rcpt-oauth", ConsentHost.RecipientSecret));
        tokenResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        var accessToken = (await Oidc.Json(tokenResponse)).GetProperty("access_token").GetString()!;
        Guid grantId;
        await using (var db = _host.NewDbContext())
        {
            grantId = await db.Set<Grant>().Where(g => g.ClientId == "rcpt-oauth").Select(g => g.Id).SingleAsync();
        }

        var consent = await _host.InScopeAsync(s => s.GetRequiredService<ConsentLedger>().GrantAsync(hanakoId, requestId, null, grantId, CancellationToken.None));
        (await IntrospectAsync(accessToken)).ShouldBeTrue();

        (await hanako.PostAsync($"/api/me/consents/{consent.Id}/revoke", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await IntrospectAsync(accessToken)).ShouldBeFalse("the consent's grant is revoked with it");
        await using (var db = _host.NewDbContext())
        {
            var grant = await db.Set<Grant>().SingleAsync(g => g.Id == grantId);
            (grant.Status, grant.RevokedReason).ShouldBe((GrantStatus.Revoked, "consent_withdrawn"));
        }

        // The recipient polls, and receives a signed webhook telling it to delete.
        var status = await Oidc.Json(await recipient.GetAsync($"/api/recipient/consents/{consent.Id}"));
        (status.GetProperty("state").GetString(), status.GetProperty("mustDelete").GetBoolean()).ShouldBe(("withdrawn", true));
        await _host.DeliverWebhooksAsync();
        var requests = _host.Webhooks.Requests;
        requests.Select(r => WebhookEvent(r.Body)).ShouldBe(["urn:datatrust:consent-event:consent.granted", "urn:datatrust:consent-event:consent.revoked"]);
        var revoked = requests[^1];
        revoked.Url.ShouldBe(new Uri("https://rcpt-oauth.example/hooks"));
        revoked.ContentType.ShouldBe("application/secevent+jwt");
        var verified = await VerifyWebhookAsync(revoked.Body, "rcpt-oauth");
        var data = verified.GetProperty("events").GetProperty("urn:datatrust:consent-event:consent.revoked");
        (data.GetProperty("consentId").GetString(), data.GetProperty("mustDelete").GetBoolean(), data.GetProperty("state").GetString())
            .ShouldBe((consent.Id.ToString("D"), true, "withdrawn"));
        var forged = revoked.Body[..^6] + "AAAAAA";
        (await new JsonWebTokenHandler().ValidateTokenAsync(forged, await WebhookValidationAsync("rcpt-oauth"))).IsValid.ShouldBeFalse();

        var log = await Oidc.Json(await recipient.GetAsync("/api/recipient/webhook/deliveries"));
        var delivered = log.EnumerateArray().First(d => d.GetProperty("eventType").GetString() == "consent.revoked");
        (delivered.GetProperty("status").GetString(), delivered.GetProperty("attempts").GetInt32(), delivered.GetProperty("lastStatusCode").GetInt32()).ShouldBe(("delivered", 1, 202));

        var confirmed = await recipient.PostAsync($"/api/recipient/consents/{consent.Id}/deletion-confirmation", null);
        confirmed.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Oidc.Json(confirmed)).GetProperty("deletionConfirmedAt").ValueKind.ShouldBe(JsonValueKind.String);
        var before = await _host.LedgerStateAsync();
        await ConsentHost.ShouldBeProblemAsync(await recipient.PostAsync($"/api/recipient/consents/{consent.Id}/deletion-confirmation", null), HttpStatusCode.Conflict, "deletion_already_confirmed");
        await ConsentHost.ShouldBeProblemAsync(await recipient.PostAsync($"/api/recipient/consents/{Guid.NewGuid()}/deletion-confirmation", null), HttpStatusCode.NotFound, "not_found");
        (await _host.LedgerStateAsync()).ShouldBe(before);
        (await _host.AuditAsync(AuditAction.ConsentDeletionConfirmed)).Single().Consent.ShouldBe(consent.Id.ToString("D"));
    }

    private static string WebhookEvent(string jws) => new JsonWebToken(jws).GetPayloadValue<JsonElement>("events").EnumerateObject().Single().Name;

    private async Task<TokenValidationParameters> WebhookValidationAsync(string audience) => new()
    {
        IssuerSigningKeys = new JsonWebKeySet(await _host.CreateClient().GetStringAsync("/.well-known/jwks.json")).Keys,
        ValidIssuer = Oidc.Issuer,
        ValidAudience = audience,
        ValidateLifetime = false,
        ValidTypes = ["secevent+jwt"],
    };

    private async Task<JsonElement> VerifyWebhookAsync(string jws, string audience)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(jws, await WebhookValidationAsync(audience));
        result.IsValid.ShouldBeTrue(result.Exception?.Message);
        return JsonDocument.Parse(Base64UrlEncoder.Decode(((JsonWebToken)result.SecurityToken).EncodedPayload)).RootElement;
    }

    private async Task<bool> IntrospectAsync(string token)
    {
        var response = await _host.CreateClient().SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "rcpt-oauth", ConsentHost.RecipientSecret, "/connect/introspect"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await Oidc.Json(response)).GetProperty("active").GetBoolean();
    }

    [Fact]
    public async Task Consents_past_their_end_expire_with_a_version_audit_entry_notification_and_webhook()
    {
        var (_, recipient, requestId) = await _host.PublishedRequestAsync("rcpt-exp");
        var hanako = await ConsentHost.ResidentAsync(_host);
        var id = (await Oidc.Json(await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId, duration = "P1M" }))).GetProperty("id").GetGuid();
        var ledger = () => _host.InScopeAsync(s => s.GetRequiredService<ConsentLedger>().ExpireDueAsync(CancellationToken.None));

        (await ledger()).ShouldBe(0);
        _host.Clock.Advance(TimeSpan.FromDays(32));
        (await ledger()).ShouldBe(1);
        (await ledger()).ShouldBe(0, "idempotent");
        hanako = await ConsentHost.ResidentAsync(_host); // the month-old session has ended
        recipient = await _host.RecipientClientAsync("rcpt-exp");

        var view = await Oidc.Json(await hanako.GetAsync($"/api/me/consents/{id}"));
        (view.GetProperty("state").GetString(), view.GetProperty("version").GetInt32()).ShouldBe(("expired", 2));
        var entry = (await _host.AuditAsync(AuditAction.ConsentExpired)).Single();
        (entry.Consent, entry.ActorType).ShouldBe((id.ToString("D"), "system"));
        (await Oidc.Json(await hanako.GetAsync("/api/me/notifications"))).EnumerateArray().Select(n => n.GetProperty("kind").GetString()).ShouldContain("consent.expired");
        await using var db = _host.NewDbContext();
        (await db.Set<WebhookDelivery>().Where(d => d.ConsentId == id).Select(d => d.EventType).ToListAsync()).ShouldBe(["consent.granted", "consent.expired"]);
        await ConsentHost.ShouldBeProblemAsync(await hanako.PostAsync($"/api/me/consents/{id}/resume", null), HttpStatusCode.Conflict, "invalid_transition");
        (await Oidc.Json(await recipient.GetAsync($"/api/recipient/consents/{id}"))).GetProperty("mustDelete").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task Suspending_a_recipient_stops_its_tokens_new_tokens_and_every_release_at_once()
    {
        var (admin, recipient, requestId) = await _host.PublishedRequestAsync("rcpt-susp");
        var hanako = await ConsentHost.ResidentAsync(_host);
        var id = (await Oidc.Json(await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId }))).GetProperty("id").GetGuid();
        var ask = new ReleaseAsk("rcpt-susp", "mobility-improvement", [new RequestedCategory("mobility", ["trip_date"])], null, null);

        (await DecideAsync(id, ask)).ShouldBe(ReleaseDecision.Allow);
        (await recipient.GetAsync("/api/recipient/consents")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-susp/suspend", new { reasons = new[] { "Audit finding" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await recipient.GetAsync("/api/recipient/consents")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "its token is revoked");
        await Oidc.ShouldBeOAuthError(
            await _host.CreateClient().SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, "rcpt-susp", ConsentHost.RecipientSecret)),
            "unauthorized_client");
        (await DecideAsync(id, ask)).Refusal.ShouldBe(ReleaseRefusal.RecipientSuspended);
        await ConsentHost.ShouldBeProblemAsync(await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId }), HttpStatusCode.Conflict, "consent_exists");

        (await admin.PostAsJsonAsync("/api/admin/recipients/rcpt-susp/reinstate", new { reasons = new[] { "Resolved" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await DecideAsync(id, ask)).ShouldBe(ReleaseDecision.Allow);
        (await (await _host.RecipientClientAsync("rcpt-susp")).GetAsync("/api/recipient/consents")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_release_decision_counts_the_use_and_reads_the_live_state()
    {
        var (_, _, requestId) = await _host.PublishedRequestAsync("rcpt-rel");
        var hanako = await ConsentHost.ResidentAsync(_host);
        var id = (await Oidc.Json(await hanako.PostAsJsonAsync("/api/me/consents", new { dataRequestId = requestId }))).GetProperty("id").GetGuid();
        var ask = new ReleaseAsk("rcpt-rel", "mobility-improvement", [new RequestedCategory("mobility", ["trip_date"])], null, null);

        for (var i = 0; i < 4; i++)
        {
            (await DecideAsync(id, ask)).Allowed.ShouldBeTrue();
        }

        (await DecideAsync(id, ask)).Refusal.ShouldBe(ReleaseRefusal.FrequencyExceeded, "4 per month");
        (await DecideAsync(id, ask with { ClientId = "rcpt-other" })).Refusal.ShouldBe(ReleaseRefusal.NoConsent);
        (await DecideAsync(id, ask with { Data = [new RequestedCategory("resident-basic", ["age_band"])] })).Refusal.ShouldBe(ReleaseRefusal.FrequencyExceeded);
        _host.Clock.Advance(TimeSpan.FromDays(31));
        (await DecideAsync(id, ask)).Allowed.ShouldBeTrue("a new month");
        hanako = await ConsentHost.ResidentAsync(_host); // the month-old session has ended
        (await hanako.PostAsync($"/api/me/consents/{id}/pause", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await DecideAsync(id, ask)).Refusal.ShouldBe(ReleaseRefusal.Paused);
        (await DecideAsync(Guid.NewGuid(), ask)).Refusal.ShouldBe(ReleaseRefusal.NoConsent);
        (await Oidc.Json(await hanako.GetAsync($"/api/me/consents/{id}"))).GetProperty("releaseCount").GetInt32().ShouldBe(5);
    }

    private async Task<ReleaseDecision> DecideAsync(Guid consentId, ReleaseAsk ask)
    {
        await using var db = _host.NewDbContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var decision = await ConsentLedger.AuthorizeReleaseAsync(db, consentId, ask, _host.Clock.GetUtcNow(), CancellationToken.None);
        await transaction.CommitAsync();
        return decision;
    }
}

public sealed class SqliteConsentLifecycleTests() : ConsentLifecycleTests(StorageProvider.Sqlite);

public sealed class PostgresConsentLifecycleTests() : ConsentLifecycleTests(StorageProvider.Postgres);
