using System.Security.Claims;
using System.Text.Json;
using DataTrust.Accounts;
using DataTrust.Persistence;
using DataTrust.Vault.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Vault.Records;

/// <summary>
/// The resident's JSON API over their own records, with their portal session: <c>GET /api/me/records</c>,
/// <c>GET /api/me/records/{id}</c>, <c>PATCH /api/me/records/{id}</c> (<c>{ "fields": { … } }</c>: a correction),
/// <c>DELETE /api/me/records/{id}</c>, <c>GET /api/me/records/export</c> (download of everything). Changing calls need
/// a JSON body or a non-simple method, which a cross-site form cannot send.
/// </summary>
internal static class ResidentRecordsEndpoints
{
    public static IEndpointRouteBuilder MapResidentRecords(this IEndpointRouteBuilder endpoints)
    {
        var me = endpoints.MapGroup("/api/me/records")
            .RequireAuthorization(AccessPolicies.Resident)
            .WithTags("Resident records");
        me.MapGet("/", List).WithName("ListMyRecords").WithSummary("My records: category, date, provider (no values)");
        me.MapGet("/export", Export).WithName("ExportMyRecords").WithSummary("Everything the vault holds about me, as JSON (download)");
        me.MapGet("/{id:guid}", Read).WithName("ReadMyRecord").WithSummary("One record, decrypted, with the policy's field names");
        me.MapMethods("/{id:guid}", ["PATCH"], Correct).WithName("CorrectMyRecord").WithSummary("Correct fields of one record");
        me.MapDelete("/{id:guid}", Delete).WithName("DeleteMyRecord").WithSummary("Delete one record");
        return endpoints;
    }

    private static async Task<IResult> List(ClaimsPrincipal user, IDbContextFactory<DataTrustDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return TypedResults.Ok(await ResidentRecords.ListAsync(db, ResidentId(user), cancellationToken));
    }

    private static async Task<IResult> Read(Guid id, ClaimsPrincipal user, IDbContextFactory<DataTrustDbContext> contexts, ResidentRecords records, HttpContext context, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        context.Response.Headers.CacheControl = "no-store";
        return await records.ReadAsync(db, ResidentId(user), id, cancellationToken) is { } view ? TypedResults.Ok(view) : NotFound();
    }

    private static async Task<IResult> Correct(Guid id, HttpContext context, IDbContextFactory<DataTrustDbContext> contexts, ResidentRecords records, CancellationToken cancellationToken)
    {
        using var body = await IngestionEndpoints.ReadJsonAsync(context, cancellationToken);
        if (body?.RootElement is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("fields", out var fields) || root.EnumerateObject().Count() != 1)
        {
            return IngestionEndpoints.BadRequest("The body must be { \"fields\": { field id: new value, … } } (Content-Type: application/json).");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var residentId = ResidentId(context.User);
        var problems = await records.CorrectAsync(db, residentId, id, fields, cancellationToken);
        if (problems is null)
        {
            return NotFound();
        }

        if (problems.Count > 0)
        {
            return TypedResults.Problem(
                detail: "The correction does not match the record's category; nothing was changed. See errors.",
                statusCode: StatusCodes.Status422UnprocessableEntity, title: "Invalid correction",
                extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["errors"] = problems });
        }

        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(await records.ReadAsync(db, residentId, id, cancellationToken));
    }

    private static async Task<IResult> Delete(Guid id, ClaimsPrincipal user, IDbContextFactory<DataTrustDbContext> contexts, ResidentRecords records, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await records.DeleteAsync(db, ResidentId(user), id, cancellationToken) ? TypedResults.NoContent() : NotFound();
    }

    private static async Task<IResult> Export(ClaimsPrincipal user, IDbContextFactory<DataTrustDbContext> contexts, ResidentRecords records, HttpContext context, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var export = await records.ExportAsync(db, ResidentId(user), cancellationToken);
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.File(export, "application/json", ExportFileName);
    }

    public const string ExportFileName = "datatrust-my-data.json";

    private static ProblemHttpResult NotFound() =>
        TypedResults.Problem(detail: "You have no record with this id.", statusCode: StatusCodes.Status404NotFound, title: "Record not found");

    internal static Guid ResidentId(ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier)!);
}
