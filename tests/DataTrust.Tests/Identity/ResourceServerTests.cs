using System.Net;
using System.Net.Http.Headers;
using DataTrust.Identity.Clients;
using DataTrust.Identity.ResourceServer;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Identity;

/// <summary>The access-token authentication scheme that DataTrust's own APIs use.</summary>
public sealed class ResourceServerTests : IDisposable
{
    private readonly ResourceFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private async Task<string> TokenAsync(HttpClient http, string scope)
    {
        await EnsureClientAsync();
        var response = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials", ["scope"] = scope }, "vault-reader", "reader-secret-0123456789-abcdefghij"));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await Oidc.Json(response)).GetProperty("access_token").GetString()!;
    }

    private bool _clientAdded;

    private async Task EnsureClientAsync()
    {
        if (_clientAdded)
        {
            return;
        }

        _clientAdded = true;
        await Oidc.AddClientAsync(_factory, new Client
        {
            ClientId = "vault-reader",
            DisplayName = "Vault reader",
            Kind = ClientKind.DataProvider,
            TokenEndpointAuthMethod = "client_secret_basic",
            SecretHash = ClientSecretHasher.Hash("reader-secret-0123456789-abcdefghij"),
            GrantTypes = ["client_credentials"],
            Scopes = ["vault.read", "vault.write"],
        });
    }

    private static async Task<HttpResponseMessage> CallAsync(HttpClient http, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/test/resource");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }

    [Fact]
    public async Task A_live_token_with_the_scope_is_accepted_and_names_its_client()
    {
        using var http = _factory.CreateClient();
        var token = await TokenAsync(http, "vault.read");

        var response = await CallAsync(http, token);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldBe("vault-reader");
    }

    [Fact]
    public async Task No_token_is_challenged_without_an_error_code()
    {
        using var http = _factory.CreateClient();

        var response = await CallAsync(http, null);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().ShouldContain("Bearer realm=\"DataTrust\"");
        response.Headers.WwwAuthenticate.ToString().ShouldNotContain("error=");
    }

    [Fact]
    public async Task A_token_without_the_scope_is_forbidden_with_insufficient_scope()
    {
        using var http = _factory.CreateClient();
        var token = await TokenAsync(http, "vault.write");

        var response = await CallAsync(http, token);

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        response.Headers.WwwAuthenticate.ToString().ShouldContain("insufficient_scope");
    }

    [Fact]
    public async Task A_revoked_token_stops_working_at_once()
    {
        using var http = _factory.CreateClient();
        var token = await TokenAsync(http, "vault.read");
        (await CallAsync(http, token)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await http.SendAsync(Oidc.TokenRequest(new() { ["token"] = token }, "vault-reader", "reader-secret-0123456789-abcdefghij", "/connect/revoke"));
        var response = await CallAsync(http, token);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().ShouldContain("error=\"invalid_token\"");
    }

    /// <summary>The service plus one protected test resource requiring scope vault.read.</summary>
    private sealed class ResourceFactory() : OidcFactory(StorageProvider.Sqlite)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, ResourceEndpoint>());
        }
    }

    private sealed class ResourceEndpoint : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            // Not app.Map: a branch moves the path into PathBase, and the issuer includes PathBase.
            app.Run(async context =>
            {
                if (context.Request.Path != "/test/resource")
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }

                var result = await context.AuthenticateAsync(AccessTokenAuthentication.Scheme);
                if (!result.Succeeded)
                {
                    await context.ChallengeAsync(AccessTokenAuthentication.Scheme);
                    return;
                }

                if (!result.Principal.HasClaim(AccessTokenAuthentication.ScopeClaim, "vault.read"))
                {
                    await context.ForbidAsync(AccessTokenAuthentication.Scheme);
                    return;
                }

                await context.Response.WriteAsync(result.Principal.FindFirst(AccessTokenAuthentication.ClientIdClaim)!.Value);
            });
        };
    }
}
