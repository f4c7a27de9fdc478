using DataTrust.Accounts;
using DataTrust.Common;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DataTrust.Tests.Common;

public abstract class DemoDataTests(StorageProvider provider)
{
    [Fact]
    public async Task Development_seeds_the_documented_accounts_and_clients_once()
    {
        using var factory = new DataTrustFactory(provider);
        factory.Services.ShouldNotBeNull();
        // A second start must not duplicate anything.
        await factory.Services.PrepareDataTrustAsync(factory.Services.GetRequiredService<IHostEnvironment>());

        await using var db = factory.NewDbContext();
        var accounts = await (from user in db.Users
                              join link in db.UserRoles on user.Id equals link.UserId
                              join role in db.Roles on link.RoleId equals role.Id
                              select new { user.Email, role.Name }).ToListAsync();
        accounts.Select(a => $"{a.Email}:{a.Name}").Order(StringComparer.Ordinal).ShouldBe(
        [
            "admin@example.jp:operator",
            "auditor@example.jp:auditor",
            "business@example.jp:business",
            "hanako@example.jp:resident",
            "taro@example.jp:resident",
        ]);

        var clients = await db.Set<Client>().OrderBy(c => c.ClientId).ToListAsync();
        clients.Select(c => c.ClientId).ShouldBe(["demo-business", "demo-city-app", "demo-provider"]);
        var business = clients[0];
        business.TokenEndpointAuthMethod.ShouldBe("client_secret_basic");
        business.RedirectUris.ShouldBe(["http://127.0.0.1:8400/callback"]);
        business.GrantTypes.ShouldBe(["authorization_code", "refresh_token", "client_credentials"]);
        business.SecretHash!.ShouldNotContain("demo-business-secret");
        ClientSecretHasher.Verify(business.SecretHash, "demo-business-secret").ShouldBeTrue();
        ClientSecretHasher.Verify(business.SecretHash, "demo-business-secreT").ShouldBeFalse();
        clients[1].SecretHash.ShouldBeNull();
        clients[1].TokenEndpointAuthMethod.ShouldBe("none");
        ClientSecretHasher.Verify(clients[2].SecretHash, "demo-provider-secret").ShouldBeTrue();
        business.Scopes.ShouldBe(["datatrust.requests", "datatrust.consents", "datatrust.broker", "grant_management_query", "grant_management_revoke"]);

        (await db.Set<DataTrust.Consent.BusinessStaff>().SingleAsync()).ClientId.ShouldBe("demo-business");
        var recipient = await db.Set<DataTrust.Consent.Recipient>().SingleAsync();
        (recipient.ClientId, recipient.Status).ShouldBe(("demo-business", DataTrust.Consent.RecipientStatus.Approved));
        var request = await db.Set<DataTrust.Consent.DataRequest>().SingleAsync();
        (request.ClientId, request.PurposeId, request.State, request.SpecialCare).ShouldBe(("demo-business", "mobility-improvement", DataTrust.Consent.DataRequestState.Approved, false));
    }

    [Fact]
    public async Task Production_seeds_nothing()
    {
        using var factory = new DataTrustFactory(provider) { Environment = "Production" };
        factory.Services.ShouldNotBeNull();

        await using var db = factory.NewDbContext();
        (await db.Users.CountAsync()).ShouldBe(0);
        (await db.Set<Client>().CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Asking_for_demo_data_in_Production_is_refused_with_a_plain_message()
    {
        using var factory = new DataTrustFactory(provider) { Environment = "Production" };
        var services = factory.Services;
        var environment = services.GetRequiredService<IHostEnvironment>();
        var configuration = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DataTrustOptions>>();
        configuration.Value.SeedDemoData = true;

        var error = await Should.ThrowAsync<StartupException>(() => services.PrepareDataTrustAsync(environment));

        error.Message.ShouldContain("refused in Production");
        await using var db = factory.NewDbContext();
        (await db.Users.CountAsync()).ShouldBe(0);
    }
}

public sealed class SqliteDemoDataTests() : DemoDataTests(StorageProvider.Sqlite);

public sealed class PostgresDemoDataTests() : DemoDataTests(StorageProvider.Postgres);
