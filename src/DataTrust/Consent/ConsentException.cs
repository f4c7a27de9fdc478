using Microsoft.AspNetCore.Http;

namespace DataTrust.Consent;

/// <summary>
/// A consent-ledger request that was refused: bad input, a missing thing, or a change the current state
/// does not allow. Thrown before anything is committed, so nothing changed. APIs answer it as RFC 9457
/// problem details with <see cref="Code"/> as an extension; pages show <see cref="Title"/> and <see cref="Exception.Message"/>.
/// </summary>
public sealed class ConsentException : Exception
{
    public ConsentException(int status, string code, string title, string detail)
        : base(detail)
    {
        Status = status;
        Code = code;
        Title = title;
    }

    public ConsentException()
        : this(StatusCodes.Status400BadRequest, "invalid", "Invalid request", "The request is not valid.")
    {
    }

    public ConsentException(string message)
        : this(StatusCodes.Status400BadRequest, "invalid", "Invalid request", message)
    {
    }

    public ConsentException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = StatusCodes.Status400BadRequest;
        Code = "invalid";
        Title = "Invalid request";
    }

    public int Status { get; }

    /// <summary>A stable machine-readable code, e.g. <c>purpose_unknown</c>, <c>invalid_transition</c>.</summary>
    public string Code { get; }

    public string Title { get; }

    internal static ConsentException Invalid(string code, string detail) => new(StatusCodes.Status400BadRequest, code, "The request is not valid", detail);

    internal static ConsentException NotFound(string what, string detail) => new(StatusCodes.Status404NotFound, "not_found", $"No such {what}", detail);

    internal static ConsentException Conflict(string code, string detail) => new(StatusCodes.Status409Conflict, code, "Not possible in the current state", detail);

    internal static ConsentException Forbidden(string code, string detail) => new(StatusCodes.Status403Forbidden, code, "Not allowed", detail);
}

/// <summary>Runs a use case for an API endpoint and turns a <see cref="ConsentException"/> into problem details.</summary>
internal static class ConsentApi
{
    public static async Task<IResult> Run<T>(Func<Task<T>> useCase, Func<T, IResult> success)
    {
        try
        {
            return success(await useCase());
        }
        catch (ConsentException e)
        {
            return Problem(e);
        }
    }

    public static IResult Problem(ConsentException e) =>
        TypedResults.Problem(statusCode: e.Status, title: e.Title, detail: e.Message, extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = e.Code });
}
