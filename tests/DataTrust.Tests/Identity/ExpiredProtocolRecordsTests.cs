using System.Net;
using DataTrust.Accounts;
using DataTrust.Identity.Maintenance;
using DataTrust.Identity.Storage;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DataTrust.Tests.Identity;

public sealed class ExpiredProtocolRecordsTests : IDisposable
{
    private readonly OidcFactory _factory = new(StorageProvider.Sqlite);

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Purging_keeps_live_records_and_the_replay_window_and_removes_the_rest()
    {
        var browser = await _factory.CreateClientAsync(Roles.Resident);
        var (verifier, challenge) = Oidc.NewPkce();
        var code = Oidc.Code(await Oidc.AuthorizeAsync(browser, Oidc.AuthorizeQuery("demo-business", challenge)));
        using var http = _factory.CreateClient();
        var redeemed = await http.SendAsync(Oidc.TokenRequest(new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = Oidc.RedirectUri,
            ["code_verifier"] = verifier,
        }, "demo-business", Oidc.BusinessSecret));
        redeemed.StatusCode.ShouldBe(HttpStatusCode.OK);
        var purge = _factory.Services.GetRequiredService<ExpiredProtocolRecords>();

        _factory.Clock.Advance(TimeSpan.FromHours(1));
        await purge.PurgeAsync(CancellationToken.None);
        await using (var db = _factory.NewDbContext())
        {
            (await db.Set<AuthorizationCode>().CountAsync()).ShouldBe(1, "kept for replay detection");
            (await db.Set<IssuedAccessToken>().CountAsync()).ShouldBe(1);
            (await db.Set<RefreshToken>().CountAsync()).ShouldBe(1);
            (await db.Set<AuthorizationRequest>().CountAsync()).ShouldBe(0);
        }

        _factory.Clock.Advance(TimeSpan.FromDays(2));
        await purge.PurgeAsync(CancellationToken.None);
        await using (var db = _factory.NewDbContext())
        {
            (await db.Set<AuthorizationCode>().CountAsync()).ShouldBe(0);
            (await db.Set<IssuedAccessToken>().CountAsync()).ShouldBe(0);
            (await db.Set<RefreshToken>().CountAsync()).ShouldBe(1, "a refresh token lives 30 days");
            (await db.Set<Grant>().CountAsync()).ShouldBe(1, "grants are consent history");
        }
    }
}
