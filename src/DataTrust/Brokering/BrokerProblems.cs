using DataTrust.Consent;
using Microsoft.AspNetCore.Http;

namespace DataTrust.Brokering;

/// <summary>
/// RFC 9457 answers of the brokering API. Every refusal has its own <c>type</c> URI and a <c>code</c>
/// extension equal to the <see cref="ReleaseRefusal"/> code. Refusals share one status (403) so that the
/// status says nothing beyond the code; <c>no_consent</c> reads the same whether the consent id is random,
/// another recipient's, or of a resident who does not exist.
/// </summary>
internal static class BrokerProblems
{
    public const string TypeBase = "https://datatrust.city/problems/brokering/";

    private static readonly Dictionary<string, string> Details = new(StringComparer.Ordinal)
    {
        [ReleaseRefusal.NoConsent] = "There is no consent for this recipient with that id.",
        [ReleaseRefusal.Revoked] = "The resident has withdrawn this consent.",
        [ReleaseRefusal.Paused] = "The resident has paused this consent.",
        [ReleaseRefusal.Expired] = "This consent has ended.",
        [ReleaseRefusal.OutsideRange] = "The data period asked for is not inside the period the consent covers.",
        [ReleaseRefusal.FrequencyExceeded] = "The consent's release limit for the current period is used up.",
        [ReleaseRefusal.RecipientSuspended] = "This recipient is not approved to receive data now.",
        [ReleaseRefusal.CategoryNotCovered] = "The consent does not cover every category and field asked for.",
        [ReleaseRefusal.PurposeMismatch] = "The consent was given for another purpose.",
        [ReleaseRefusal.OneTimeSpent] = "This consent allowed one release, which has been made.",
    };

    public static IResult Refused(string code) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status403Forbidden,
            title: "Release refused",
            detail: Details.GetValueOrDefault(code, "The release is not allowed."),
            type: TypeBase + code,
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = code });

    public static IResult Invalid(string code, string detail, int status = StatusCodes.Status400BadRequest) =>
        TypedResults.Problem(
            statusCode: status,
            title: status == StatusCodes.Status400BadRequest ? "The request is not valid" : "Not possible",
            detail: detail,
            type: TypeBase + code,
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = code });

    /// <summary>The decision or its audit entry could not be committed: nothing was released.</summary>
    public static IResult NotCommitted() =>
        Invalid("not_committed", "The release could not be recorded, so nothing was released. Try again later.", StatusCodes.Status503ServiceUnavailable);
}
