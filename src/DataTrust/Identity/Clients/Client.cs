namespace DataTrust.Identity.Clients;

/// <summary>An OAuth client registered by an operator.</summary>
public sealed class Client
{
    public Guid Id { get; set; }

    public string ClientId { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public ClientKind Kind { get; set; }

    /// <summary><c>none</c>, <c>client_secret_basic</c>, <c>client_secret_post</c> or <c>private_key_jwt</c>.</summary>
    public string TokenEndpointAuthMethod { get; set; } = "none";

    /// <summary>Salted hash of the client secret (see <see cref="ClientSecretHasher"/>); never the secret.</summary>
    public string? SecretHash { get; set; }

    /// <summary>The client's public keys (JWK Set JSON) for <c>private_key_jwt</c> and encrypted payloads.</summary>
    public string? Jwks { get; set; }

    /// <summary>Exact redirect URIs; compared by simple string equality (RFC 9700 §4.1.3).</summary>
    public List<string> RedirectUris { get; set; } = [];

    public List<string> PostLogoutRedirectUris { get; set; } = [];

    public List<string> GrantTypes { get; set; } = [];

    /// <summary>Scopes beyond the OpenID Connect ones that the client may ask for (API scopes).</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary><c>RS256</c> when the client registered it (OIDC Registration); ES256 otherwise.</summary>
    public string? IdTokenSignedResponseAlg { get; set; }

    /// <summary>
    /// Host that groups this client's pairwise subjects (OIDC Core §8.1); the redirect URIs' host when
    /// unset. Clients of one organisation may share a sector, clients of different recipients never.
    /// </summary>
    public string? SectorIdentifier { get; set; }

    /// <summary>High-assurance clients must use PAR and DPoP (FAPI 2.0 Security Profile).</summary>
    public bool HighAssurance { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// PostgreSQL: the row's version (<c>xmin</c>) when it was read through <see cref="ClientRows"/>, which changes with
    /// every update of the row; a client_credentials token commits only if the row still has it. Not mapped.
    /// </summary>
    public long? ReadVersion { get; set; }
}

public enum ClientKind
{
    ResidentApp,
    BusinessRecipient,
    DataProvider,
    CityOsService,
}
