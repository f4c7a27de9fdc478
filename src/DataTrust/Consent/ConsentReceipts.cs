using System.Text.Json;
using DataTrust.Identity;
using DataTrust.Identity.Keys;
using DataTrust.Persistence;
using DataTrust.Policies;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataTrust.Consent;

/// <summary>The outcome of verifying a consent receipt; the consent's current state when it is valid.</summary>
public sealed record ReceiptVerification(bool Valid, string? Reason, Guid? ReceiptId, Guid? ConsentId, int? Version, string? CurrentState, int? CurrentVersion);

/// <summary>
/// Consent receipts: a compact JWS (ES256, DataTrust's token-signing keys, <c>kid</c> in the header,
/// <c>typ: consent-receipt+jwt</c>) per consent version, carrying the fields of ISO/IEC TS 27560 and
/// the Kantara Consent Receipt. The resident appears only as the recipient's pairwise subject; the
/// receipt holds no plaintext personal data.
/// </summary>
internal sealed class ConsentReceipts(SigningKeyStore keys, Issuer issuer, DataUsePolicy policy)
{
    public const string ReceiptType = "consent-receipt+jwt";
    public const string ReceiptVersion = "KI-CR-v1.1.0";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>Signing credentials, fetched before a transaction opens (key loading may touch Data Protection).</summary>
    public Task<SigningCredentials> CredentialsAsync(CancellationToken cancellationToken) => keys.SigningCredentialsAsync(SigningKeyStore.ES256, cancellationToken);

    public ConsentReceipt Issue(
        SigningCredentials credentials, ConsentHead consent, ConsentVersion version, Recipient recipient, string pairwiseSubject, string collectionMethod, DateTimeOffset now)
    {
        var id = Guid.CreateVersion7(now);
        var purpose = policy.FindPurpose(version.PurposeId);
        var categories = JsonSerializer.Deserialize<List<RequestedCategory>>(version.Categories, JsonSerializerOptions.Web)!;
        var sensitive = categories.Where(c => policy.IsSpecialCare(c.Category)).Select(c => c.Category).ToList();
        var iss = issuer.Background;
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["iss"] = iss,
            ["sub"] = pairwiseSubject,
            ["aud"] = recipient.ClientId,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["jti"] = id.ToString("D"),
            ["version"] = ReceiptVersion,
            ["consentReceiptID"] = id.ToString("D"),
            ["consentId"] = consent.Id.ToString("D"),
            ["consentVersion"] = version.Version,
            ["jurisdiction"] = "JP",
            ["consentTimestamp"] = now.ToUnixTimeSeconds(),
            ["collectionMethod"] = collectionMethod,
            ["language"] = "ja",
            ["state"] = ConsentLedger.StateName(version.State),
            ["dpvStatus"] = DpvStatus(version.State),
            ["piiPrincipalId"] = pairwiseSubject,
            ["piiControllers"] = new object[]
            {
                new Dictionary<string, object>(StringComparer.Ordinal) { ["piiController"] = "DataTrust", ["role"] = "information-trust", ["url"] = iss },
                new Dictionary<string, object>(StringComparer.Ordinal) { ["piiController"] = recipient.OrganisationName, ["role"] = "recipient", ["clientId"] = recipient.ClientId },
            },
            ["policyUrl"] = iss + "/api/policy",
            ["policyVersion"] = version.PolicyVersion,
            ["services"] = new object[]
            {
                new Dictionary<string, object>(StringComparer.Ordinal)
                {
                    ["service"] = consent.DataRequestId.ToString("D"),
                    ["purposes"] = new object[]
                    {
                        new Dictionary<string, object>(StringComparer.Ordinal)
                        {
                            ["purpose"] = purpose?.Title.En ?? version.PurposeId,
                            ["purposeId"] = version.PurposeId,
                            ["dpvPurposes"] = purpose?.DpvPurposes.ToArray() ?? [],
                            ["purposeCategory"] = purpose?.DpvPurposes.ToArray() ?? [],
                            ["consentType"] = "EXPLICIT",
                            ["piiCategory"] = categories.Select(c => c.Category).ToArray(),
                            ["piiFields"] = categories.Select(c => (object)new Dictionary<string, object>(StringComparer.Ordinal) { ["category"] = c.Category, ["fields"] = c.Fields.ToArray() }).ToArray(),
                            ["primaryPurpose"] = true,
                            ["termination"] = version.ExpiresAt?.ToString("O") ?? "",
                            ["duration"] = version.Duration,
                            ["thirdPartyDisclosure"] = true,
                            ["thirdPartyName"] = recipient.OrganisationName,
                        },
                    },
                },
            },
            ["sensitive"] = sensitive.Count > 0,
            ["spiCat"] = sensitive.ToArray(),
        };
        if (version.ExpiresAt is { } expiresAt)
        {
            claims["consentExpiry"] = expiresAt.ToUnixTimeSeconds();
        }

        var jws = Handler.CreateToken(new SecurityTokenDescriptor { Claims = claims, TokenType = ReceiptType, SigningCredentials = credentials });
        return new ConsentReceipt { Id = id, ConsentId = consent.Id, Version = version.Version, Jws = jws, IssuedAt = now };
    }

    /// <summary>
    /// Public verification: the signature under a published DataTrust key (or, for a key no longer
    /// published, byte equality with the receipt DataTrust stored), and the consent's state now.
    /// </summary>
    public async Task<ReceiptVerification> VerifyAsync(DataTrustDbContext db, string? jws, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(jws) || jws.Length > 16384 || jws.Count(c => c == '.') != 2)
        {
            return Invalid("malformed");
        }

        jws = jws.Trim();
        var result = await Handler.ValidateTokenAsync(jws, new TokenValidationParameters
        {
            IssuerSigningKeys = await keys.PublishedAsync(cancellationToken),
            ValidIssuer = issuer.Background,
            ValidateAudience = false,
            ValidateLifetime = false,
            ValidTypes = [ReceiptType],
            ValidAlgorithms = [SigningKeyStore.ES256],
            RequireSignedTokens = true,
        });
        Guid receiptId;
        if (result.IsValid && result.SecurityToken is JsonWebToken token && Guid.TryParse(token.Id, out var parsed))
        {
            receiptId = parsed;
        }
        else
        {
            // Not verifiable with the published keys: valid only if it is exactly a receipt we issued.
            var stored = await db.Set<ConsentReceipt>().AsNoTracking().Where(r => r.Jws == jws).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(cancellationToken);
            if (stored is null)
            {
                return Invalid("signature_invalid");
            }

            receiptId = stored.Value;
        }

        var receipt = await db.Set<ConsentReceipt>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == receiptId, cancellationToken);
        if (receipt is null || !string.Equals(receipt.Jws, jws, StringComparison.Ordinal))
        {
            return Invalid("unknown_receipt");
        }

        var head = await db.Set<ConsentHead>().AsNoTracking().SingleAsync(c => c.Id == receipt.ConsentId, cancellationToken);
        return new ReceiptVerification(true, null, receipt.Id, receipt.ConsentId, receipt.Version, ConsentLedger.StateName(head.State), head.Version);
    }

    private static ReceiptVerification Invalid(string reason) => new(false, reason, null, null, null, null, null);

    private static string DpvStatus(ConsentState state) => DpvPurposes.Namespace + state switch
    {
        ConsentState.Requested => "ConsentRequested",
        ConsentState.Given => "ConsentGiven",
        ConsentState.Refused => "ConsentRefused",
        ConsentState.Withdrawn => "ConsentWithdrawn",
        ConsentState.Expired => "ConsentExpired",

        // DPV has no paused status: a paused consent is not valid for processing until resumed.
        _ => "ConsentInvalidated",
    };
}
