using Microsoft.Extensions.Logging;

namespace DataTrust.Identity;

/// <summary>
/// Every security event of the OpenID provider, in one place: the seam where audit entries are added.
/// Values are client ids, grant ids, key ids and error codes; never tokens, secrets, codes or personal data.
/// </summary>
internal static partial class IdentityEvents
{
    private const string Category = "DataTrust.Identity";

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Token issued to {ClientId} by grant type {GrantType} (grant {GrantId})")]
    public static partial void TokenIssued(ILogger logger, string clientId, string grantType, Guid? grantId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Client authentication failed for {ClientId} ({Method}): {Reason}")]
    public static partial void ClientAuthenticationFailed(ILogger logger, string? clientId, string method, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Token request by {ClientId} refused: {Error}")]
    public static partial void TokenRequestRefused(ILogger logger, string? clientId, string error);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Authorization code used twice by {ClientId}: grant {GrantId} revoked")]
    public static partial void AuthorizationCodeReplayed(ILogger logger, string clientId, Guid grantId);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Refresh token reused by {ClientId}: grant {GrantId} revoked")]
    public static partial void RefreshTokenReused(ILogger logger, string clientId, Guid grantId);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Replayed {Kind} from {ClientId} refused")]
    public static partial void ProofReplayed(ILogger logger, string kind, string? clientId);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Consent given to {ClientId} for scopes {Scopes} (grant {GrantId})")]
    public static partial void ConsentGiven(ILogger logger, string clientId, string scopes, Guid grantId);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "Consent denied to {ClientId}")]
    public static partial void ConsentDenied(ILogger logger, string clientId);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "Authorization code issued to {ClientId} (grant {GrantId})")]
    public static partial void AuthorizationCodeIssued(ILogger logger, string clientId, Guid grantId);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Token revoked by {ClientId} ({TokenKind})")]
    public static partial void TokenRevoked(ILogger logger, string clientId, string tokenKind);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Signing key {KeyId} ({Algorithm}) created; signs from {SignsFrom:O}")]
    public static partial void SigningKeyCreated(ILogger logger, string keyId, string algorithm, DateTimeOffset signsFrom);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information, Message = "Signing key {KeyId} retires at {SignsUntil:O}, unpublished at {PublishedUntil:O}")]
    public static partial void SigningKeyRetiring(ILogger logger, string keyId, DateTimeOffset signsUntil, DateTimeOffset publishedUntil);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Information, Message = "Session ended at the request of {ClientId}")]
    public static partial void SessionEnded(ILogger logger, string? clientId);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Information, Message = "Client {ClientId} {Change}")]
    public static partial void ClientChanged(ILogger logger, string clientId, string change);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Information, Message = "Authorization request of {ClientId} answered with {Error}")]
    public static partial void AuthorizationRefused(ILogger logger, string clientId, string error);

    public static ILogger Logger(this ILoggerFactory factory) => factory.CreateLogger(Category);
}
