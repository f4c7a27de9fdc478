using System.Net;
using System.Security.Cryptography;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Storage;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DataTrust.Tests.Identity;

/// <summary>
/// On PostgreSQL the reads that run on every request skip EF's materialiser (ClientRows, the token liveness read).
/// Whatever they read must be exactly what EF reads from the same rows, for a client with every column set.
/// </summary>
public sealed class PostgresRowReaderTests : IDisposable
{
    private const string Secret = "rows-secret-0123456789-abcdefghijklmn";

    private readonly OidcFactory _factory = new(StorageProvider.Postgres);

    public void Dispose() => _factory.Dispose();

    private async Task<Client> AddFullClientAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = new Client
        {
            ClientId = "rows-client",
            DisplayName = "行読み取り Rows",
            Kind = ClientKind.CityOsService,
            TokenEndpointAuthMethod = "client_secret_basic",
            SecretHash = ClientSecretHasher.Hash(Secret),
            Jwks = Oidc.PublicJwks(key),
            RedirectUris = ["https://rows.example.jp/cb", "https://rows.example.jp/cb2"],
            PostLogoutRedirectUris = ["https://rows.example.jp/bye"],
            GrantTypes = ["client_credentials", "authorization_code"],
            Scopes = ["datatrust.statistics", "datatrust.broker"],
            IdTokenSignedResponseAlg = "RS256",
            SectorIdentifier = "rows.example.jp",
            HighAssurance = false,
        };
        await Oidc.AddClientAsync(_factory, client);
        return client;
    }

    [Fact]
    public async Task A_client_read_straight_from_its_row_equals_what_EF_reads()
    {
        await AddFullClientAsync();
        await using var db = _factory.NewDbContext();
        var expected = await db.Set<Client>().AsNoTracking().SingleAsync(c => c.ClientId == "rows-client");

        await db.Database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand($"SELECT {ClientRows.Columns} FROM clients c WHERE c.client_id = 'rows-client'", (NpgsqlConnection)db.Database.GetDbConnection());
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();

        var read = ClientRows.Read(reader, 0)!;
        read.ReadVersion.ShouldNotBeNull(); // EF does not map it
        read.ReadVersion = null;
        read.ShouldBeEquivalentTo(expected);
        expected.Jwks.ShouldNotBeNull();
        expected.RedirectUris.Count.ShouldBe(2);
    }

    [Fact]
    public async Task The_read_version_of_a_client_changes_with_every_update_of_its_row()
    {
        await AddFullClientAsync();
        var before = await ReadVersionAsync();

        await using (var db = _factory.NewDbContext())
        {
            await db.Set<Client>().Where(c => c.ClientId == "rows-client").ExecuteUpdateAsync(s => s.SetProperty(c => c.DisplayName, "Renamed"));
        }

        var after = await ReadVersionAsync();
        after.ShouldNotBe(before);
        (await ReadVersionAsync()).ShouldBe(after);
    }

    private async Task<long?> ReadVersionAsync()
    {
        await using var db = _factory.NewDbContext();
        await db.Database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand($"SELECT {ClientRows.Columns} FROM clients c WHERE c.client_id = 'rows-client'", (NpgsqlConnection)db.Database.GetDbConnection());
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        return ClientRows.Read(reader, 0)!.ReadVersion;
    }

    [Fact]
    public async Task A_live_token_read_straight_from_its_row_equals_what_EF_reads_and_a_revoked_one_is_not_live()
    {
        await AddFullClientAsync();
        var http = _factory.CreateClient();
        var issued = await http.SendAsync(Oidc.TokenRequest(new() { ["grant_type"] = "client_credentials", ["scope"] = "datatrust.broker" }, "rows-client", Secret));
        issued.StatusCode.ShouldBe(HttpStatusCode.OK, await issued.Content.ReadAsStringAsync());
        var token = (await Oidc.Json(issued)).GetProperty("access_token").GetString()!;

        var live = await ValidateAsync(token);

        live.ShouldNotBeNull();
        await using var db = _factory.NewDbContext();
        live.Row.ShouldBeEquivalentTo(await db.Set<IssuedAccessToken>().AsNoTracking().SingleAsync(t => t.Jti == live.Token.Id));
        live.Client.ReadVersion.ShouldNotBeNull();
        live.Client.ReadVersion = null;
        live.Client.ShouldBeEquivalentTo(await db.Set<Client>().AsNoTracking().SingleAsync(c => c.ClientId == "rows-client"));

        await db.Set<IssuedAccessToken>().Where(t => t.Jti == live.Token.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, DateTimeOffset.UtcNow));
        (await ValidateAsync(token)).ShouldBeNull();
    }

    private Task<LiveAccessToken?> ValidateAsync(string token) => _factory.InScopeAsync(services =>
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("localhost");
        return services.GetRequiredService<AccessTokenValidator>().ValidateAsync(context, token, CancellationToken.None);
    });
}
