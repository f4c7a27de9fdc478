using System.Net;
using System.Text.Json;
using AngleSharp.Html.Parser;
using DataTrust.Consent;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using DataTrust.Tests.Identity;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Consent;

/// <summary>
/// Purpose-bound consent through OAuth (RFC 9396 authorization_details): the consent page shows the
/// request's terms and lets the resident narrow them; the ledger records the consent linked to its grant;
/// the token response and introspection carry grant_id and the details as granted; revoking stops the token.
/// </summary>
public abstract class OAuthConsentTests(StorageProvider provider) : IDisposable
{
    private const string ClientId = "rcpt-oauth";
    private readonly ConsentHost _host = new(provider);

    public void Dispose()
    {
        _host.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task<(HttpClient Admin, Guid RequestId)> PublishedAsync()
    {
        var admin = await ConsentHost.OperatorAsync(_host);
        await _host.RecipientAsync(admin, ClientId);
        var recipient = await _host.RecipientClientAsync(ClientId);
        return (admin, await ConsentHost.PublishAsync(recipient, admin));
    }

    private static Dictionary<string, string> Query(string challenge, string details)
    {
        var query = Oidc.AuthorizeQuery(ClientId, challenge, scope: "openid");
        query["authorization_details"] = details;
        return query;
    }

    private static string Details(Guid requestId, string extra = "") =>
        $$"""[{"type":"datatrust_consent","data_request":"{{requestId}}","categories":["mobility","resident-basic"]{{extra}}}]""";

    private async Task<JsonElement> IntrospectAsync(string token)
    {
        using var http = _host.CreateClient();
        return await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, ClientId, ConsentHost.RecipientSecret, "/connect/introspect")));
    }

    [Fact]
    public async Task A_resident_narrows_on_the_consent_page_and_the_token_carries_the_grant_until_the_consent_is_revoked()
    {
        var (_, requestId) = await PublishedAsync();
        var resident = await ConsentHost.ResidentAsync(_host);
        var (verifier, challenge) = Oidc.NewPkce();

        var atConsent = await Oidc.AuthorizeAsync(resident, Query(challenge, Details(requestId)), allowConsent: false);
        var consentPath = atConsent.Headers.Location!.OriginalString;
        consentPath.ShouldStartWith("/connect/consent");
        var page = new HtmlParser().ParseDocument(await resident.GetStringAsync(consentPath));
        page.QuerySelector("[data-recipient]")!.TextContent.ShouldBe("Org " + ClientId);
        page.QuerySelectorAll("input[name=categories]").Select(i => i.GetAttribute("value")).ShouldBe(["mobility", "resident-basic"]);

        // Tampered: a category the request does not ask for. A message, and nothing recorded.
        var before = await _host.LedgerStateAsync();
        var token = page.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var id = page.QuerySelector("input[name=Id]")!.GetAttribute("value")!;
        var tampered = await resident.PostAsync(consentPath, Browser.Form(("Id", id), ("decision", "allow"), ("categories", "health-checkup"), ("__RequestVerificationToken", token)));
        tampered.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        new HtmlParser().ParseDocument(await tampered.Content.ReadAsStringAsync()).QuerySelector(".error-summary").ShouldNotBeNull();
        (await _host.LedgerStateAsync()).ShouldBe(before);
        await using (var db = _host.NewDbContext())
        {
            (await db.Set<Grant>().CountAsync(g => g.ClientId == ClientId)).ShouldBe(0);
        }

        var allowed = await resident.PostAsync(consentPath, Browser.Form(("Id", id), ("decision", "allow"), ("categories", "mobility"), ("duration", "P3M"), ("__RequestVerificationToken", token)));
        var code = Oidc.Code(await Oidc.FollowAsync(resident, allowed));

        using var http = _host.CreateClient();
        var tokens = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = Oidc.RedirectUri, ["code_verifier"] = verifier,
        }, ClientId, ConsentHost.RecipientSecret)));
        var grantId = tokens.GetProperty("grant_id").GetGuid();
        var granted = tokens.GetProperty("authorization_details").EnumerateArray().ShouldHaveSingleItem();
        granted.GetProperty("type").GetString().ShouldBe("datatrust_consent");
        granted.GetProperty("categories").EnumerateArray().Select(c => c.GetString()).ShouldBe(["mobility"]);
        granted.GetProperty("duration").GetString().ShouldBe("P3M");

        Guid consentId;
        await using (var db = _host.NewDbContext())
        {
            var consent = await db.Set<ConsentHead>().SingleAsync(c => c.DataRequestId == requestId);
            consent.State.ShouldBe(ConsentState.Given);
            consent.GrantId.ShouldBe(grantId);
            consentId = consent.Id;
            granted.GetProperty("consent_id").GetGuid().ShouldBe(consentId);
        }

        var accessToken = tokens.GetProperty("access_token").GetString()!;
        var active = await IntrospectAsync(accessToken);
        active.GetProperty("active").GetBoolean().ShouldBeTrue();
        active.GetProperty("grant_id").GetGuid().ShouldBe(grantId);
        active.GetProperty("authorization_details")[0].GetProperty("categories").EnumerateArray().Select(c => c.GetString()).ShouldBe(["mobility"]);

        var revokeToken = await SignIn.AntiforgeryTokenAsync(resident, $"/resident/consents/{consentId}/revoke");
        (await resident.PostAsync($"/resident/consents/{consentId}/revoke", Browser.Form(("__RequestVerificationToken", revokeToken)))).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await IntrospectAsync(accessToken)).GetProperty("active").GetBoolean().ShouldBeFalse();
    }

    private async Task<(Guid GrantId, string AccessToken, Guid ConsentId)> GrantedAsync(Guid requestId)
    {
        var resident = await ConsentHost.ResidentAsync(_host);
        var (verifier, challenge) = Oidc.NewPkce();
        var consentPath = (await Oidc.AuthorizeAsync(resident, Query(challenge, Details(requestId)), allowConsent: false)).Headers.Location!.OriginalString;
        var page = new HtmlParser().ParseDocument(await resident.GetStringAsync(consentPath));
        var allowed = await resident.PostAsync(consentPath, Browser.Form(
            ("Id", page.QuerySelector("input[name=Id]")!.GetAttribute("value")!), ("decision", "allow"), ("categories", "mobility"),
            ("__RequestVerificationToken", page.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!)));
        var code = Oidc.Code(await Oidc.FollowAsync(resident, allowed));
        using var http = _host.CreateClient();
        var tokens = await Oidc.Json(await http.SendAsync(Oidc.TokenRequest(new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = Oidc.RedirectUri, ["code_verifier"] = verifier,
        }, ClientId, ConsentHost.RecipientSecret)));
        var consentId = tokens.GetProperty("authorization_details")[0].GetProperty("consent_id").GetGuid();
        return (tokens.GetProperty("grant_id").GetGuid(), tokens.GetProperty("access_token").GetString()!, consentId);
    }

    private async Task<HttpClient> GrantManagerAsync(string clientId, string scope)
    {
        await using (var db = _host.NewDbContext())
        {
            var client = await db.Set<DataTrust.Identity.Clients.Client>().SingleAsync(c => c.ClientId == clientId);
            client.Scopes = [.. client.Scopes.Union(["grant_management_query", "grant_management_revoke"])];
            await db.SaveChangesAsync();
        }

        var http = _host.CreateClient();
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials", ["scope"] = scope }, clientId, ConsentHost.RecipientSecret));
        var token = (await Oidc.Json(response)).GetProperty("access_token").GetString()!;
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    [Fact]
    public async Task Grant_management_queries_and_revokes_the_clients_own_grant_which_withdraws_the_consent()
    {
        var (admin, requestId) = await PublishedAsync();
        await _host.RecipientAsync(admin, "rcpt-other");
        var (grantId, accessToken, consentId) = await GrantedAsync(requestId);
        var discovery = await Oidc.Json(await _host.CreateClient().GetAsync("/.well-known/openid-configuration"));
        discovery.GetProperty("grant_management_endpoint").GetString().ShouldBe(Oidc.Issuer + "/connect/grants");
        discovery.GetProperty("grant_management_actions_supported").EnumerateArray().Select(a => a.GetString()).ShouldBe(["query", "revoke"]);

        using var query = await GrantManagerAsync(ClientId, "grant_management_query");
        using var revoke = await GrantManagerAsync(ClientId, "grant_management_revoke");
        using var other = await GrantManagerAsync("rcpt-other", "grant_management_query grant_management_revoke");
        using var anonymous = _host.CreateClient();

        var found = await Oidc.Json(await query.GetAsync($"/connect/grants/{grantId}"));
        found.GetProperty("scopes")[0].GetProperty("scope").GetString().ShouldBe("openid");
        found.GetProperty("authorization_details")[0].GetProperty("consent_id").GetGuid().ShouldBe(consentId);

        var before = await _host.LedgerStateAsync();
        (await anonymous.GetAsync($"/connect/grants/{grantId}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await query.DeleteAsync($"/connect/grants/{grantId}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await revoke.GetAsync($"/connect/grants/{grantId}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await other.GetAsync($"/connect/grants/{grantId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.DeleteAsync($"/connect/grants/{grantId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await query.GetAsync("/connect/grants/not-a-grant")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await query.GetAsync($"/connect/grants/{Guid.NewGuid()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await _host.LedgerStateAsync()).ShouldBe(before);
        (await IntrospectAsync(accessToken)).GetProperty("active").GetBoolean().ShouldBeTrue();

        (await revoke.DeleteAsync($"/connect/grants/{grantId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await using (var db = _host.NewDbContext())
        {
            (await db.Set<ConsentHead>().SingleAsync(c => c.Id == consentId)).State.ShouldBe(ConsentState.Withdrawn);
            (await db.Set<Grant>().SingleAsync(g => g.Id == grantId)).Status.ShouldBe(GrantStatus.Revoked);
        }

        var revoked = (await _host.AuditAsync("consent.revoked")).ShouldHaveSingleItem();
        revoked.ActorType.ShouldBe("client");
        (await IntrospectAsync(accessToken)).GetProperty("active").GetBoolean().ShouldBeFalse();
        (await query.GetAsync($"/connect/grants/{grantId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await revoke.DeleteAsync($"/connect/grants/{grantId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Bad_authorization_details_are_refused_with_invalid_authorization_details_and_change_nothing()
    {
        var (_, requestId) = await PublishedAsync();
        Guid demoRequest;
        await using (var db = _host.NewDbContext())
        {
            demoRequest = await db.Set<DataRequest>().Where(r => r.ClientId == "demo-business").Select(r => r.Id).SingleAsync();
        }

        var discovery = await Oidc.Json(await _host.CreateClient().GetAsync("/.well-known/openid-configuration"));
        discovery.GetProperty("authorization_details_types_supported").EnumerateArray().Select(t => t.GetString()).ShouldBe(["datatrust_consent"]);

        var resident = await ConsentHost.ResidentAsync(_host);
        var before = await _host.LedgerStateAsync();
        var (_, challenge) = Oidc.NewPkce();
        foreach (var bad in new[]
        {
            "not json", "{}", "[]", """[{"type":"payment_initiation"}]""", Details(requestId, ",\"actions\":[\"read\"]"), Details(Guid.NewGuid()), Details(demoRequest),
            $$"""[{"type":"datatrust_consent","data_request":"{{requestId}}","categories":["health-checkup"]}]""",
            $$"""[{"type":"datatrust_consent","data_request":"{{requestId}}","duration":"P5Y"}]""",
        })
        {
            var response = await Oidc.AuthorizeAsync(resident, Query(challenge, bad), allowConsent: false);
            response.StatusCode.ShouldBe(HttpStatusCode.SeeOther, bad);
            var parameters = Oidc.Parameters(response.Headers.Location!);
            parameters["error"].ShouldBe("invalid_authorization_details", bad);
            parameters["error_description"].ShouldNotBeNullOrWhiteSpace();
            parameters["iss"].ShouldBe(Oidc.Issuer);
            parameters["state"].ShouldBe("st-1");
            response.Headers.Location!.ToString().ShouldStartWith(Oidc.RedirectUri);

            using var http = _host.CreateClient();
            var pushed = await http.SendAsync(Oidc.TokenRequest(Query(challenge, bad), ClientId, ConsentHost.RecipientSecret, "/connect/par"));
            await Oidc.ShouldBeOAuthError(pushed, "invalid_authorization_details");
        }

        (await _host.LedgerStateAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task Declining_answers_access_denied_and_records_the_refusal()
    {
        var (_, requestId) = await PublishedAsync();
        var resident = await ConsentHost.ResidentAsync(_host);
        var (_, challenge) = Oidc.NewPkce();
        var atConsent = await Oidc.AuthorizeAsync(resident, Query(challenge, Details(requestId)), allowConsent: false);
        var denied = await Oidc.FollowAsync(resident, await Oidc.DecideConsentAsync(resident, atConsent.Headers.Location!.OriginalString, "deny"));
        Oidc.Parameters(denied.Headers.Location!)["error"].ShouldBe("access_denied");
        await using var db = _host.NewDbContext();
        (await db.Set<ConsentHead>().SingleAsync(c => c.DataRequestId == requestId)).State.ShouldBe(ConsentState.Refused);
    }
}

public sealed class SqliteOAuthConsentTests() : OAuthConsentTests(StorageProvider.Sqlite);

public sealed class PostgresOAuthConsentTests() : OAuthConsentTests(StorageProvider.Postgres);
