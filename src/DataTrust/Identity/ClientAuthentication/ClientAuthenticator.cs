using System.Net.Http.Headers;
using System.Text;
using DataTrust.Identity.Clients;
using DataTrust.Identity.Protocol;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace DataTrust.Identity.ClientAuthentication;

/// <summary>
/// Authenticates the client at the token, PAR, introspection and revocation endpoints with the one
/// method it registered: <c>client_secret_basic</c>, <c>client_secret_post</c>, <c>private_key_jwt</c>
/// (RFC 7523 §3 with <c>jti</c> replay protection) or <c>none</c> for public clients.
/// </summary>
internal sealed class ClientAuthenticator(
    DataTrustDbContext db,
    ClientCache cache,
    Issuer issuer,
    ReplayCache replays,
    TimeProvider clock,
    IOptions<OidcOptions> options,
    ILoggerFactory loggers)
{
    public const string SecretBasic = "client_secret_basic";
    public const string SecretPost = "client_secret_post";
    public const string PrivateKeyJwt = "private_key_jwt";
    public const string None = "none";

    public static readonly string[] Methods = [SecretBasic, SecretPost, PrivateKeyJwt, None];
    public static readonly string[] AssertionAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256];

    private static readonly TimeSpan LongestAssertionLifetime = TimeSpan.FromHours(1);

    // Read on every request (but see ClientCache): a disabled client or a rotated secret takes effect at once on every instance.
    private static readonly PerModel<Func<DataTrustDbContext, string, Task<Client?>>> EnabledClient = new(() =>
        EF.CompileAsyncQuery((DataTrustDbContext db, string clientId) => db.Set<Client>().AsNoTracking().SingleOrDefault(c => c.ClientId == clientId && c.Enabled)));

    public Task<(Client? Client, OAuthError? Error)> AuthenticateAsync(HttpContext context, RequestParameters parameters, CancellationToken cancellationToken) =>
        AuthenticateAsync(context, parameters, ClientLookup.Database, cancellationToken);

    /// <summary>Authenticates the client, taking its row from where <paramref name="lookup"/> allows before the database.</summary>
    public async Task<(Client? Client, OAuthError? Error)> AuthenticateAsync(HttpContext context, RequestParameters parameters, ClientLookup lookup, CancellationToken cancellationToken)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        var usesBasic = authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);
        var usesPost = parameters.Has("client_secret");
        var usesAssertion = parameters.Has("client_assertion") || parameters.Has("client_assertion_type");
        if ((usesBasic ? 1 : 0) + (usesPost ? 1 : 0) + (usesAssertion ? 1 : 0) > 1)
        {
            return (null, OAuthError.InvalidRequest("Use exactly one client authentication method (RFC 6749 §2.3)."));
        }

        if (usesBasic)
        {
            return await BasicAsync(authorization, parameters, lookup, cancellationToken);
        }

        if (usesAssertion)
        {
            return await AssertionAsync(context, parameters, lookup, cancellationToken);
        }

        var clientId = parameters["client_id"];
        if (clientId is null)
        {
            return Fail(null, None, "no client_id and no client authentication");
        }

        if (usesPost)
        {
            return await FindBySecretAsync(clientId, SecretPost, parameters["client_secret"]!, lookup, cancellationToken) is { } authenticated
                ? (authenticated, null)
                : Fail(clientId, SecretPost, "unknown client, wrong secret or method not registered");
        }

        var client = await FindAsync(clientId, lookup, cancellationToken);
        if (client is null)
        {
            return Fail(clientId, None, "unknown or disabled client");
        }

        return client.TokenEndpointAuthMethod == None
            ? (client, null)
            : Fail(clientId, None, $"client must authenticate with {client.TokenEndpointAuthMethod}");
    }

    private async Task<(Client?, OAuthError?)> BasicAsync(string authorization, RequestParameters parameters, ClientLookup lookup, CancellationToken cancellationToken)
    {
        string clientId, secret;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(AuthenticationHeaderValue.Parse(authorization).Parameter ?? ""));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return Fail(null, SecretBasic, "malformed credentials");
            }

            // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
            clientId = FormDecode(decoded[..colon]);
            secret = FormDecode(decoded[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return Fail(null, SecretBasic, "malformed credentials");
        }

        if (parameters["client_id"] is { } bodyId && bodyId != clientId)
        {
            return Fail(clientId, SecretBasic, "client_id in the body differs from the credentials");
        }

        return await FindBySecretAsync(clientId, SecretBasic, secret, lookup, cancellationToken) is { } client
            ? (client, null)
            : Fail(clientId, SecretBasic, "unknown client, wrong secret or method not registered");
    }

    private async Task<Client?> FindBySecretAsync(string clientId, string method, string secret, ClientLookup lookup, CancellationToken cancellationToken)
    {
        static bool Accepts(Client? client, string method, string secret) =>
            client is not null && client.TokenEndpointAuthMethod == method && ClientSecretHasher.Verify(client.SecretHash, secret);

        if (lookup.FromCache && cache.Find(clientId) is { } cached && Accepts(cached, method, secret))
        {
            return cached;
        }

        var client = await FindAsync(clientId, lookup, cancellationToken);
        return Accepts(client, method, secret) ? client : null;
    }

    private async Task<(Client?, OAuthError?)> AssertionAsync(HttpContext context, RequestParameters parameters, ClientLookup lookup, CancellationToken cancellationToken)
    {
        if (parameters["client_assertion_type"] != Endpoints.ClientAssertionType || parameters["client_assertion"] is not { } assertion)
        {
            return Fail(parameters["client_id"], PrivateKeyJwt, "client_assertion_type must be " + Endpoints.ClientAssertionType);
        }

        JsonWebToken unverified;
        try
        {
            unverified = new JsonWebToken(assertion);
        }
        catch (ArgumentException)
        {
            return Fail(parameters["client_id"], PrivateKeyJwt, "the assertion is not a JWT");
        }

        var clientId = unverified.Issuer;
        if (string.IsNullOrEmpty(clientId) || (parameters["client_id"] is { } bodyId && bodyId != clientId))
        {
            return Fail(parameters["client_id"], PrivateKeyJwt, "iss missing or different from client_id");
        }

        var client = await FindAsync(clientId, lookup, cancellationToken);
        if (client is null || client.TokenEndpointAuthMethod != PrivateKeyJwt || string.IsNullOrEmpty(client.Jwks))
        {
            return Fail(clientId, PrivateKeyJwt, "unknown client or method not registered");
        }

        var issuerId = issuer.For(context);
        var validation = new TokenValidationParameters
        {
            IssuerSigningKeys = new JsonWebKeySet(client.Jwks).GetSigningKeys(),
            ValidIssuer = clientId,
            ValidAudiences = [issuerId, issuerId + Endpoints.Token, issuerId + context.Request.Path],
            ValidateLifetime = false,
            ValidAlgorithms = AssertionAlgorithms,
            RequireSignedTokens = true,
        };
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(assertion, validation);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token)
        {
            return Fail(clientId, PrivateKeyJwt, "signature, issuer or audience invalid");
        }

        var now = clock.GetUtcNow();
        var skew = options.Value.ProofClockSkew;
        if (token.Subject != clientId)
        {
            return Fail(clientId, PrivateKeyJwt, "sub must be the client_id");
        }

        if (!token.TryGetPayloadValue<long>("exp", out var exp))
        {
            return Fail(clientId, PrivateKeyJwt, "exp missing");
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(exp);
        if (expires + skew < now || expires > now + LongestAssertionLifetime)
        {
            return Fail(clientId, PrivateKeyJwt, "expired or too long-lived");
        }

        if (token.TryGetPayloadValue<long>("nbf", out var nbf) && DateTimeOffset.FromUnixTimeSeconds(nbf) > now + skew)
        {
            return Fail(clientId, PrivateKeyJwt, "not yet valid");
        }

        if (string.IsNullOrEmpty(token.Id))
        {
            return Fail(clientId, PrivateKeyJwt, "jti missing");
        }

        if (!await replays.TryRememberAsync("client_assertion", clientId, token.Id, expires + skew, cancellationToken))
        {
            IdentityEvents.ProofReplayed(loggers.Logger(), "client assertion", clientId);
            return Fail(clientId, PrivateKeyJwt, "jti already used");
        }

        return (client, null);
    }

    private async Task<Client?> FindAsync(string clientId, ClientLookup lookup, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (lookup.ReadInThisRequest is { } read && read.ClientId == clientId)
        {
            return read;
        }

        if (db.Database.GetDbConnection() is not NpgsqlConnection connection)
        {
            return await EnabledClient.For(db)(db, clientId);
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand($"SELECT {ClientRows.Columns} FROM clients c WHERE c.client_id = $1 AND c.enabled", connection)
            {
                Parameters = { new NpgsqlParameter { Value = clientId } },
            };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var client = await reader.ReadAsync(cancellationToken) ? ClientRows.Read(reader, 0) : null;
            cache.Update(clientId, client);
            return client;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private (Client?, OAuthError?) Fail(string? clientId, string method, string reason)
    {
        IdentityEvents.ClientAuthenticationFailed(loggers.Logger(), clientId, method, reason);
        return (null, OAuthError.InvalidClient("Client authentication failed."));
    }

    private static string FormDecode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));
}

/// <summary>Where <see cref="ClientAuthenticator"/> may take the client's row from besides the database.</summary>
internal readonly record struct ClientLookup(bool FromCache, Client? ReadInThisRequest)
{
    /// <summary>The row as it is now in the database.</summary>
    public static readonly ClientLookup Database = new(FromCache: false, ReadInThisRequest: null);

    /// <summary>
    /// A client secret may be checked against the client as last read (<see cref="ClientCache"/>), for callers that
    /// re-check the row in their own transaction; a secret the cached client refuses is checked against the row (it may
    /// have been rotated just now).
    /// </summary>
    public static readonly ClientLookup CacheFirst = new(FromCache: true, ReadInThisRequest: null);

    /// <summary>
    /// An enabled client's row that the caller has just read from the database (with the token it asks about): when the
    /// request names that client, it is authenticated against this row instead of reading it once more.
    /// </summary>
    public static ClientLookup ReadWith(Client? row) => new(FromCache: false, row);
}
