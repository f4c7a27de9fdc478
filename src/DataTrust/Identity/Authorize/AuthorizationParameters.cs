using System.Text.Json;

namespace DataTrust.Identity.Authorize;

/// <summary>
/// A validated authorization request: what the consent page shows and the code will carry. With
/// <see cref="AuthorizationDetails"/> (RFC 9396), each approval makes its own grant, recorded in <see cref="GrantId"/>.
/// </summary>
internal sealed record AuthorizationParameters(
    string ClientId,
    string RedirectUri,
    IReadOnlyList<string> Scopes,
    string? State,
    string? Nonce,
    string CodeChallenge,
    IReadOnlyList<string> Prompt,
    int? MaxAge,
    string? LoginHint,
    string? UiLocales,
    string Audience,
    string? DpopJkt,
    string? AuthorizationDetails = null,
    Guid? GrantId = null)
{
    public bool Prompts(string value) => Prompt.Contains(value, StringComparer.Ordinal);

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public static AuthorizationParameters FromJson(string json) =>
        JsonSerializer.Deserialize<AuthorizationParameters>(json, JsonSerializerOptions.Web)
        ?? throw new InvalidOperationException("A stored authorization request is empty.");
}
