using System.Text.Json;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Identity.ClientAuthentication;
using DataTrust.Identity.Keys;
using DataTrust.Identity.Protocol;
using DataTrust.Identity.Token;
using DataTrust.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Identity.Clients;

/// <summary>What an operator registers for a client (admin API and CLI).</summary>
public sealed record ClientRegistration(
    string? ClientId,
    string DisplayName,
    string Kind,
    string TokenEndpointAuthMethod,
    IReadOnlyList<string>? RedirectUris,
    IReadOnlyList<string>? PostLogoutRedirectUris,
    IReadOnlyList<string> GrantTypes,
    IReadOnlyList<string>? Scopes,
    JsonElement? Jwks,
    bool HighAssurance,
    string? IdTokenSignedResponseAlg,
    string? SectorIdentifier);

/// <summary>A client as shown to operators: never its secret or secret hash.</summary>
public sealed record ClientView(
    string ClientId,
    string DisplayName,
    string Kind,
    string TokenEndpointAuthMethod,
    IReadOnlyList<string> RedirectUris,
    IReadOnlyList<string> PostLogoutRedirectUris,
    IReadOnlyList<string> GrantTypes,
    IReadOnlyList<string> Scopes,
    bool HighAssurance,
    string? IdTokenSignedResponseAlg,
    string? SectorIdentifier,
    bool Enabled,
    DateTimeOffset CreatedAt)
{
    internal static ClientView From(Client c) => new(
        c.ClientId, c.DisplayName, c.Kind.ToString(), c.TokenEndpointAuthMethod, c.RedirectUris, c.PostLogoutRedirectUris,
        c.GrantTypes, c.Scopes, c.HighAssurance, c.IdTokenSignedResponseAlg, c.SectorIdentifier, c.Enabled, c.CreatedAt);
}

/// <summary>A registered client and, for secret-based methods, its secret: shown this once, stored only hashed.</summary>
public sealed record RegisteredClient(ClientView Client, string? ClientSecret);

/// <summary>
/// Registers and manages clients with the rules of RFC 9700 §2.1 and §4.1: redirect URIs absolute,
/// exact, https (http only for loopback, RFC 8252 §7.3), no fragments; secrets generated here.
/// </summary>
internal sealed class ClientRegistry(DataTrustDbContext db, IAuditLog audit, TimeProvider clock, ILoggerFactory loggers)
{
    public async Task<(RegisteredClient? Client, Dictionary<string, string[]>? Errors)> RegisterAsync(ClientRegistration registration, AuditActor actor, CancellationToken cancellationToken)
    {
        var errors = Validate(registration);
        var clientId = string.IsNullOrWhiteSpace(registration.ClientId) ? "dt-" + TokenHash.NewValue()[..22] : registration.ClientId.Trim();
        if (await db.Set<Client>().AnyAsync(c => c.ClientId == clientId, cancellationToken))
        {
            errors["clientId"] = ["A client with this id exists."];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var secret = IsSecretMethod(registration.TokenEndpointAuthMethod) ? ClientSecretHasher.NewSecret() : null;
        var client = new Client
        {
            Id = Guid.CreateVersion7(),
            ClientId = clientId,
            DisplayName = registration.DisplayName.Trim(),
            Kind = Enum.Parse<ClientKind>(registration.Kind, ignoreCase: true),
            TokenEndpointAuthMethod = registration.TokenEndpointAuthMethod,
            SecretHash = secret is null ? null : ClientSecretHasher.Hash(secret),
            Jwks = registration.Jwks is { } jwks ? jwks.GetRawText() : null,
            RedirectUris = [.. registration.RedirectUris ?? []],
            PostLogoutRedirectUris = [.. registration.PostLogoutRedirectUris ?? []],
            GrantTypes = [.. registration.GrantTypes.Distinct(StringComparer.Ordinal)],
            Scopes = [.. (registration.Scopes ?? []).Distinct(StringComparer.Ordinal)],
            HighAssurance = registration.HighAssurance,
            IdTokenSignedResponseAlg = registration.IdTokenSignedResponseAlg,
            SectorIdentifier = registration.SectorIdentifier?.ToLowerInvariant(),
            Enabled = true,
            CreatedAt = clock.GetUtcNow(),
        };
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            db.Add(client);
            await db.SaveChangesAsync(cancellationToken);
            await AuditAsync(actor, "client.registered", client.ClientId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        IdentityEvents.ClientChanged(loggers.Logger(), client.ClientId, "registered");
        return (new RegisteredClient(ClientView.From(client), secret), null);
    }

    public async Task<IReadOnlyList<ClientView>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await db.Set<Client>().AsNoTracking().OrderBy(c => c.ClientId).ToListAsync(cancellationToken)).Select(ClientView.From)];

    public async Task<ClientView?> FindAsync(string clientId, CancellationToken cancellationToken) =>
        await db.Set<Client>().AsNoTracking().SingleOrDefaultAsync(c => c.ClientId == clientId, cancellationToken) is { } client ? ClientView.From(client) : null;

    /// <summary>A new secret replaces the old one at once; null when the client is unknown or uses no secret.</summary>
    public async Task<string?> RotateSecretAsync(string clientId, AuditActor actor, CancellationToken cancellationToken)
    {
        var client = await db.Set<Client>().SingleOrDefaultAsync(c => c.ClientId == clientId, cancellationToken);
        if (client is null || !IsSecretMethod(client.TokenEndpointAuthMethod))
        {
            return null;
        }

        var secret = ClientSecretHasher.NewSecret();
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            client.SecretHash = ClientSecretHasher.Hash(secret);
            await db.SaveChangesAsync(cancellationToken);
            await AuditAsync(actor, "client.secret_rotated", client.ClientId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        IdentityEvents.ClientChanged(loggers.Logger(), client.ClientId, "secret rotated");
        return secret;
    }

    /// <summary>
    /// Replaces the public keys of a <c>private_key_jwt</c> client. Returns null when done, otherwise why not
    /// (no such client, another authentication method, or not a JWK Set of public signing keys); nothing changes then.
    /// </summary>
    public async Task<string?> ReplaceJwksAsync(string clientId, string? jwks, AuditActor actor, CancellationToken cancellationToken)
    {
        var client = await db.Set<Client>().SingleOrDefaultAsync(c => c.ClientId == clientId, cancellationToken);
        if (client is null || client.TokenEndpointAuthMethod != ClientAuthenticator.PrivateKeyJwt)
        {
            return "Only a client that authenticates with private_key_jwt has a JWK Set.";
        }

        JsonElement parsed;
        try
        {
            using var document = JsonDocument.Parse(jwks ?? "");
            parsed = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return "The JWK Set is not JSON.";
        }

        if (parsed.ValueKind != JsonValueKind.Object || !HasPublicSigningKeys(parsed))
        {
            return "A JWK Set needs at least one public signing key and no private keys.";
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        client.Jwks = parsed.GetRawText();
        await db.SaveChangesAsync(cancellationToken);
        await AuditAsync(actor, "client.jwks_replaced", client.ClientId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        IdentityEvents.ClientChanged(loggers.Logger(), client.ClientId, "jwks replaced");
        return null;
    }

    /// <summary>Disables the client: it can no longer authenticate or start authorization requests.</summary>
    public async Task<bool> DisableAsync(string clientId, AuditActor actor, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await db.Set<Client>().Where(c => c.ClientId == clientId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Enabled, false), cancellationToken);
        if (changed > 0)
        {
            await AuditAsync(actor, "client.disabled", clientId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            IdentityEvents.ClientChanged(loggers.Logger(), clientId, "disabled");
        }

        return changed > 0;
    }

    private Task AuditAsync(AuditActor actor, string operation, string clientId, CancellationToken cancellationToken) =>
        audit.AppendAsync(db, new AdminChanged(actor, operation, new AuditObject("client", clientId)), cancellationToken);

    private static bool IsSecretMethod(string method) => method is ClientAuthenticator.SecretBasic or ClientAuthenticator.SecretPost;

    internal static Dictionary<string, string[]> Validate(ClientRegistration r)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Add(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        if (r.ClientId is { } id && !string.IsNullOrWhiteSpace(id) && (id.Trim().Length > 100 || !id.Trim().All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            Add("clientId", "Use up to 100 letters, digits, '-', '_' or '.'.");
        }

        if (string.IsNullOrWhiteSpace(r.DisplayName) || r.DisplayName.Trim().Length > 200)
        {
            Add("displayName", "A display name of 1 to 200 characters is required; residents see it on the consent page.");
        }

        if (!Enum.TryParse<ClientKind>(r.Kind, ignoreCase: true, out _) || int.TryParse(r.Kind, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            Add("kind", "Use one of: " + string.Join(", ", Enum.GetNames<ClientKind>()) + ".");
        }

        if (!ClientAuthenticator.Methods.Contains(r.TokenEndpointAuthMethod, StringComparer.Ordinal))
        {
            Add("tokenEndpointAuthMethod", "Use one of: " + string.Join(", ", ClientAuthenticator.Methods) + ".");
        }

        var grants = r.GrantTypes ?? [];
        if (grants.Count == 0 || grants.Any(g => !TokenEndpoint.GrantTypes.Contains(g, StringComparer.Ordinal)))
        {
            Add("grantTypes", "Name at least one of: " + string.Join(", ", TokenEndpoint.GrantTypes) + ".");
        }

        var isPublic = r.TokenEndpointAuthMethod == ClientAuthenticator.None;
        if (isPublic && grants.Contains(TokenEndpoint.ClientCredentials, StringComparer.Ordinal))
        {
            Add("grantTypes", "A public client cannot use client_credentials.");
        }

        if (grants.Contains(TokenEndpoint.RefreshToken, StringComparer.Ordinal) && !grants.Contains(TokenEndpoint.AuthorizationCode, StringComparer.Ordinal))
        {
            Add("grantTypes", "refresh_token needs authorization_code.");
        }

        if (r.HighAssurance && r.TokenEndpointAuthMethod != ClientAuthenticator.PrivateKeyJwt)
        {
            // FAPI 2.0 Security Profile §5.3.1.1: private_key_jwt (or mTLS, which DataTrust does not offer).
            Add("highAssurance", "A high-assurance client must authenticate with private_key_jwt (FAPI 2.0).");
        }

        if (r.TokenEndpointAuthMethod == ClientAuthenticator.PrivateKeyJwt)
        {
            if (r.Jwks is not { ValueKind: JsonValueKind.Object } jwks || !HasPublicSigningKeys(jwks))
            {
                Add("jwks", "private_key_jwt needs a JWK Set with at least one public signing key and no private keys.");
            }
        }
        else if (r.Jwks is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined })
        {
            Add("jwks", "jwks is only used with private_key_jwt.");
        }

        var redirects = r.RedirectUris ?? [];
        if (grants.Contains(TokenEndpoint.AuthorizationCode, StringComparer.Ordinal) && redirects.Count == 0)
        {
            Add("redirectUris", "The authorization code flow needs at least one redirect URI.");
        }

        foreach (var uri in redirects)
        {
            if (RedirectUriProblem(uri) is { } problem)
            {
                Add("redirectUris", $"{uri}: {problem}");
            }
        }

        foreach (var uri in r.PostLogoutRedirectUris ?? [])
        {
            if (RedirectUriProblem(uri) is { } problem)
            {
                Add("postLogoutRedirectUris", $"{uri}: {problem}");
            }
        }

        if (r.SectorIdentifier is { } sector)
        {
            if (Uri.CheckHostName(sector) is UriHostNameType.Unknown || sector.Length > 200)
            {
                Add("sectorIdentifier", "Give a host name, e.g. transport.example.jp.");
            }
        }
        else if (redirects.Select(u => Uri.TryCreate(u, UriKind.Absolute, out var parsed) ? parsed.Host.ToLowerInvariant() : u).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            // OIDC Core §8.1: pairwise subjects need one sector; several hosts need it named.
            Add("sectorIdentifier", "Redirect URIs on several hosts need a sector identifier for pairwise subjects.");
        }

        if (r.IdTokenSignedResponseAlg is { } alg && !SigningKeyStore.Algorithms.Contains(alg, StringComparer.Ordinal))
        {
            Add("idTokenSignedResponseAlg", "Use ES256 (the default) or RS256.");
        }

        foreach (var scope in r.Scopes ?? [])
        {
            if (scope.Length == 0 || scope.Contains(' ', StringComparison.Ordinal) || !Protocol.Scopes.IsWellFormed(scope)
                || Protocol.Scopes.OpenIdConnect.Contains(scope, StringComparer.Ordinal))
            {
                Add("scopes", $"'{scope}' is not an API scope (the OpenID Connect scopes need no registration).");
            }
        }

        return errors;
    }

    /// <summary>Null when the URI may be registered as a redirect URI.</summary>
    internal static string? RedirectUriProblem(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || uri.Any(char.IsWhiteSpace))
        {
            return "not an absolute URI";
        }

        if (uri.Contains('#', StringComparison.Ordinal))
        {
            return "must not have a fragment (RFC 6749 §3.1.2)";
        }

        if (parsed.Scheme == Uri.UriSchemeHttps)
        {
            return null;
        }

        return parsed.Scheme == Uri.UriSchemeHttp && (parsed.IsLoopback || parsed.Host == "localhost")
            ? null
            : "must use https (http only for loopback addresses)";
    }

    private static bool HasPublicSigningKeys(JsonElement jwks)
    {
        try
        {
            if (!jwks.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            foreach (var key in keys.EnumerateArray())
            {
                if (key.TryGetProperty("d", out _) || key.TryGetProperty("p", out _) || key.TryGetProperty("k", out _))
                {
                    return false;
                }
            }

            return new JsonWebKeySet(jwks.GetRawText()).GetSigningKeys().Count > 0;
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException)
        {
            return false;
        }
    }
}
