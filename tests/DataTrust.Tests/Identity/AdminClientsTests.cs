using System.Net;
using System.Net.Http.Json;
using DataTrust.Accounts;
using DataTrust.Audit.Storage;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Tests.Identity;

/// <summary>The operators' client registry API.</summary>
public sealed class AdminClientsTests : IDisposable
{
    private readonly OidcFactory _factory = new(StorageProvider.Sqlite);

    public void Dispose() => _factory.Dispose();

    private static object Registration(params string[] redirectUris) => new
    {
        displayName = "交通事業者 (Transit)",
        kind = "BusinessRecipient",
        tokenEndpointAuthMethod = "client_secret_basic",
        redirectUris,
        grantTypes = new[] { "authorization_code", "client_credentials" },
    };

    [Fact]
    public async Task An_operator_registers_a_client_whose_secret_is_shown_once_and_works()
    {
        var admin = await _factory.CreateClientAsync(Roles.Operator);

        var created = await admin.PostAsJsonAsync("/api/admin/clients", Registration("https://transit.example.jp/callback"));

        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var body = await Oidc.Json(created);
        var clientId = body.GetProperty("client").GetProperty("clientId").GetString()!;
        var secret = body.GetProperty("clientSecret").GetString()!;
        secret.Length.ShouldBeGreaterThanOrEqualTo(43);
        (await admin.GetStringAsync($"/api/admin/clients/{clientId}")).ShouldNotContain(secret);
        await using (var db = _factory.NewDbContext())
        {
            (await db.Set<Client>().SingleAsync(c => c.ClientId == clientId)).SecretHash!.ShouldNotContain(secret);
        }

        using var http = _factory.CreateClient();
        var token = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, clientId, secret));
        token.StatusCode.ShouldBe(HttpStatusCode.OK);

        var rotated = await Oidc.Json(await admin.PostAsync($"/api/admin/clients/{clientId}/secret", null));
        var oldSecret = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, clientId, secret));
        await Oidc.ShouldBeOAuthError(oldSecret, "invalid_client", HttpStatusCode.Unauthorized);
        var newSecret = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, clientId, rotated.GetProperty("clientSecret").GetString()!));
        newSecret.StatusCode.ShouldBe(HttpStatusCode.OK);

        (await admin.PostAsync($"/api/admin/clients/{clientId}/disable", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var disabled = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials" }, clientId, rotated.GetProperty("clientSecret").GetString()!));
        await Oidc.ShouldBeOAuthError(disabled, "invalid_client", HttpStatusCode.Unauthorized);

        await using var audit = _factory.NewDbContext();
        var changes = await audit.Set<AuditEntry>().AsNoTracking()
            .Where(e => e.Action == "admin.changed" && e.Objects.Contains(clientId)).OrderBy(e => e.Seq).ToListAsync();
        changes.Select(e => e.Details).ShouldBe(
            ["{\"operation\":\"client.registered\"}", "{\"operation\":\"client.secret_rotated\"}", "{\"operation\":\"client.disabled\"}"]);
        changes.ShouldAllBe(e => e.ActorType == "operator");
        string.Join('\n', changes.Select(e => e.Details + e.Objects)).ShouldNotContain(secret);
    }

    [Theory]
    [InlineData("http://transit.example.jp/callback")]
    [InlineData("https://transit.example.jp/callback#frag")]
    [InlineData("/callback")]
    [InlineData("not a uri")]
    public async Task Unsafe_redirect_uris_are_refused_with_problem_details(string redirectUri)
    {
        var admin = await _factory.CreateClientAsync(Roles.Operator);

        var response = await admin.PostAsJsonAsync("/api/admin/clients", Registration(redirectUri));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        await using (var db = _factory.NewDbContext())
        {
            (await db.Set<AuditEntry>().CountAsync(e => e.Action == "admin.changed")).ShouldBe(0, "a refused registration records nothing");
            (await db.Set<Client>().CountAsync(c => c.DisplayName == "交通事業者 (Transit)")).ShouldBe(0);
        }

        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await Oidc.Json(response)).GetProperty("errors").GetProperty("redirectUris").GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task Loopback_http_redirect_uris_are_allowed_for_native_apps()
    {
        var admin = await _factory.CreateClientAsync(Roles.Operator);

        var response = await admin.PostAsJsonAsync("/api/admin/clients", Registration("http://127.0.0.1:9000/cb"));

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Residents_cannot_manage_clients()
    {
        var resident = await _factory.CreateClientAsync(Roles.Resident);

        var response = await resident.GetAsync("/api/admin/clients");

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
