using System.Text.Json;
using DataTrust.Identity.Clients;

namespace DataTrust.Tests.Identity;

public sealed class ClientRegistrationValidationTests
{
    private static ClientRegistration Valid() => new(
        ClientId: null,
        DisplayName: "Transit",
        Kind: "BusinessRecipient",
        TokenEndpointAuthMethod: "client_secret_basic",
        RedirectUris: ["https://transit.example.jp/cb"],
        PostLogoutRedirectUris: [],
        GrantTypes: ["authorization_code", "refresh_token"],
        Scopes: [],
        Jwks: null,
        HighAssurance: false,
        IdTokenSignedResponseAlg: null,
        SectorIdentifier: null);

    [Fact]
    public void A_plain_confidential_registration_is_valid() => ClientRegistry.Validate(Valid()).ShouldBeEmpty();

    [Fact]
    public void Redirect_uris_on_several_hosts_need_a_sector_identifier()
    {
        var twoHosts = Valid() with { RedirectUris = ["https://a.example.jp/cb", "https://b.example.jp/cb"] };

        ClientRegistry.Validate(twoHosts).ShouldContainKey("sectorIdentifier");
        ClientRegistry.Validate(twoHosts with { SectorIdentifier = "example.jp" }).ShouldBeEmpty();
    }

    [Fact]
    public void High_assurance_needs_private_key_jwt_with_public_keys_only()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var publicJwks = JsonDocument.Parse(Oidc.PublicJwks(key)).RootElement;
        var p = key.ExportParameters(true);
        var privateJwks = JsonDocument.Parse(JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "EC", crv = "P-256", x = Convert.ToBase64String(p.Q.X!), y = Convert.ToBase64String(p.Q.Y!), d = Convert.ToBase64String(p.D!) } },
        })).RootElement;

        ClientRegistry.Validate(Valid() with { HighAssurance = true }).ShouldContainKey("highAssurance");
        ClientRegistry.Validate(Valid() with { HighAssurance = true, TokenEndpointAuthMethod = "private_key_jwt", Jwks = privateJwks }).ShouldContainKey("jwks");
        ClientRegistry.Validate(Valid() with { HighAssurance = true, TokenEndpointAuthMethod = "private_key_jwt", Jwks = publicJwks }).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("none", "client_credentials", "grantTypes")]
    [InlineData("client_secret_basic", "password", "grantTypes")]
    [InlineData("client_secret_jwt", "authorization_code", "tokenEndpointAuthMethod")]
    public void Unsupported_combinations_are_named(string method, string grant, string field)
    {
        ClientRegistry.Validate(Valid() with { TokenEndpointAuthMethod = method, GrantTypes = [grant] }).ShouldContainKey(field);
    }

    [Theory]
    [InlineData("openid")]
    [InlineData("two words")]
    [InlineData("quote\"")]
    public void Scopes_must_be_API_scope_tokens(string scope)
    {
        ClientRegistry.Validate(Valid() with { Scopes = [scope] }).ShouldContainKey("scopes");
    }
}
