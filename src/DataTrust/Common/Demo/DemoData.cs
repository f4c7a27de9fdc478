using System.Text.Json;
using DataTrust.Accounts;
using DataTrust.Consent;
using DataTrust.Identity.Clients;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace DataTrust.Common.Demo;

/// <summary>
/// Demo accounts and clients for local evaluation (README, "Demo data"). Seeded in Development only;
/// each item is created when missing, so a restart changes nothing.
/// </summary>
internal sealed class DemoData(
    UserManager<UserAccount> users,
    RoleManager<IdentityRole<Guid>> roles,
    DataTrustDbContext db,
    DataUsePolicy policy,
    TimeProvider clock,
    ILogger<DemoData> logger)
{
    public const string Password = "DataTrust-demo-2026";
    public const string RedirectUri = "http://127.0.0.1:8400/callback";
    public const string PostLogoutRedirectUri = "http://127.0.0.1:8400/logged-out";

    internal static readonly (string Email, string Name, string Role)[] Accounts =
    [
        ("hanako@example.jp", "山田 花子", Roles.Resident),
        ("taro@example.jp", "佐藤 太郎", Roles.Resident),
        ("auditor@example.jp", "監査 担当", Roles.Auditor),
        ("admin@example.jp", "運用 管理者", Roles.Operator),
        ("business@example.jp", "事業者 担当", Roles.Business),
    ];

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                Check(await roles.CreateAsync(new IdentityRole<Guid>(role)), role);
            }
        }

        foreach (var (email, name, role) in Accounts)
        {
            if (await users.FindByEmailAsync(email) is not null)
            {
                continue;
            }

            var user = new UserAccount
            {
                UserName = email,
                Email = email,
                EmailConfirmed = true,
                DisplayName = name,
                CreatedAt = clock.GetUtcNow(),
            };
            Check(await users.CreateAsync(user, Password), email);
            Check(await users.AddToRoleAsync(user, role), email);
        }

        await AddClientAsync(new Client
        {
            ClientId = "demo-business",
            DisplayName = "デモ事業者 (Demo Business)",
            Kind = ClientKind.BusinessRecipient,
            TokenEndpointAuthMethod = "client_secret_basic",
            SecretHash = ClientSecretHasher.Hash("demo-business-secret"),
            RedirectUris = [RedirectUri],
            PostLogoutRedirectUris = [PostLogoutRedirectUri],
            GrantTypes = ["authorization_code", "refresh_token", "client_credentials"],
            Scopes = [Identity.Protocol.Scopes.DataRequests, Identity.Protocol.Scopes.Consents, Identity.Protocol.Scopes.Broker, Identity.Protocol.Scopes.GrantManagementQuery, Identity.Protocol.Scopes.GrantManagementRevoke],
        }, cancellationToken);
        await AddClientAsync(new Client
        {
            ClientId = "demo-city-app",
            DisplayName = "デモ市民アプリ (Demo City App)",
            Kind = ClientKind.ResidentApp,
            TokenEndpointAuthMethod = "none",
            RedirectUris = [RedirectUri],
            PostLogoutRedirectUris = [PostLogoutRedirectUri],
            GrantTypes = ["authorization_code", "refresh_token"],
        }, cancellationToken);
        await AddClientAsync(new Client
        {
            ClientId = "demo-provider",
            DisplayName = "デモデータ提供者 (Demo Provider)",
            Kind = ClientKind.DataProvider,
            TokenEndpointAuthMethod = "client_secret_basic",
            SecretHash = ClientSecretHasher.Hash("demo-provider-secret"),
            GrantTypes = ["client_credentials"],
            Scopes = [Vault.Ingestion.IngestionEndpoints.Scope],
        }, cancellationToken);
        await AddRecipientAsync(cancellationToken);
        await AddBusinessStaffAsync(cancellationToken);
    }

    /// <summary>business@example.jp works for demo-business in the business console.</summary>
    private async Task AddBusinessStaffAsync(CancellationToken cancellationToken)
    {
        var staff = (await users.FindByEmailAsync("business@example.jp"))!.Id;
        if (await db.Set<BusinessStaff>().AnyAsync(s => s.UserId == staff, cancellationToken))
        {
            return;
        }

        db.Add(new BusinessStaff { UserId = staff, ClientId = "demo-business", AddedAt = clock.GetUtcNow() });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>demo-business as an approved recipient with one published, non-sensitive data request.</summary>
    private async Task AddRecipientAsync(CancellationToken cancellationToken)
    {
        if (await db.Set<Recipient>().AnyAsync(r => r.ClientId == "demo-business", cancellationToken))
        {
            return;
        }

        var now = clock.GetUtcNow();
        var reviewer = (await users.FindByEmailAsync("admin@example.jp"))!.Id;
        db.Add(new Recipient
        {
            ClientId = "demo-business",
            OrganisationName = "デモ交通株式会社 (Demo Transport Co.)",
            Status = RecipientStatus.Approved,
            RegisteredAt = now,
            StatusChangedAt = now,
        });
        db.Add(new RecipientReview
        {
            ClientId = "demo-business",
            Decision = "approved",
            Criteria = JsonSerializer.Serialize(policy.CriteriaFor(receivesSpecialCareData: false).ToDictionary(c => c.Id, _ => true, StringComparer.Ordinal)),
            Reasons = JsonSerializer.Serialize(new[] { "Demo data" }),
            ReviewerId = reviewer,
            PolicyVersion = policy.Version,
            ReviewedAt = now,
        });
        var request = new DataRequest
        {
            Id = Guid.CreateVersion7(now),
            ClientId = "demo-business",
            PurposeId = "mobility-improvement",
            Categories = JsonSerializer.Serialize(
                new[] { new RequestedCategory("mobility", ["trip_date", "departure_time", "origin_district", "destination_district", "transport_mode"]) },
                JsonSerializerOptions.Web),
            Duration = "P6M",
            AccessMode = AccessMode.Periodic,
            MaxReleasesPerPeriod = 4,
            FrequencyPeriod = "P1M",
            BenefitJa = "バスの乗車ポイントを毎月100ポイント差し上げます。",
            BenefitEn = "100 bus ride points every month.",
            ExplanationJa = "あなたの移動の記録（日付、出発時刻、出発と到着の地区、乗り物）を使って、バスの路線と時刻表を見直します。お名前やくわしい位置は受け取りません。",
            ExplanationEn = "Your trips (date, departure time, districts of departure and arrival, means of travel) are used to review bus routes and timetables. We never receive your name or exact locations.",
            State = DataRequestState.Approved,
            PolicyVersion = policy.Version,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Add(request);
        await db.SaveChangesAsync(cancellationToken);
        db.Add(new DataRequestReview { DataRequestId = request.Id, Decision = "approved", Reasons = "[]", ReviewerId = reviewer, ReviewedAt = now });
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Demo recipient demo-business approved with a published data request");
    }

    private async Task AddClientAsync(Client client, CancellationToken cancellationToken)
    {
        if (await db.Set<Client>().AnyAsync(c => c.ClientId == client.ClientId, cancellationToken))
        {
            return;
        }

        client.Id = Guid.CreateVersion7();
        client.CreatedAt = clock.GetUtcNow();
        db.Add(client);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Demo client {ClientId} created", client.ClientId);
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Seeding {what} failed: {string.Join("; ", result.Errors.Select(e => e.Code))}");
        }
    }
}
