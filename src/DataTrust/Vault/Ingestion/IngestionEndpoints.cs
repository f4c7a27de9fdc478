using System.Text.Json;
using DataTrust.Identity.ResourceServer;
using DataTrust.Persistence;
using DataTrust.Vault.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Vault.Ingestion;

/// <summary>
/// The ingestion API for data providers (access token with scope <c>datatrust.ingest</c>, client credentials):
/// <list type="bullet">
/// <item><c>POST /api/ingest/records</c>: one record <c>{ "linkId", "category", "fields": { … } }</c>; optional
/// <c>Idempotency-Key</c> header. 201 with the record id; a repeat with the same key and body answers the same
/// 201 and stores nothing; the same key with another body is refused (422).</item>
/// <item><c>POST /api/ingest/records:batch</c>: <c>{ "records": [ { …, "idempotencyKey"? } ] }</c>, at most
/// <see cref="MaxBatch"/>. <b>Per-item, not all-or-nothing</b>: each item is stored or refused on its own (its own
/// transaction and optional key), and the 200 answer lists a result per item in request order, so a provider
/// retries only the refused ones.</item>
/// <item><c>POST /api/ingest/ngsi-ld/notify</c>: an NGSI-LD notification (see <see cref="NgsiLdNotification"/>);
/// all its entities are stored together or none.</item>
/// </list>
/// </summary>
internal static class IngestionEndpoints
{
    public const string Scope = "datatrust.ingest";
    public const int MaxBatch = 100;
    private const string IdempotencyHeader = "Idempotency-Key";

    public static IEndpointRouteBuilder MapIngestion(this IEndpointRouteBuilder endpoints)
    {
        var ingest = endpoints.MapGroup("/api/ingest")
            .RequireAuthorization(p => p.AddAuthenticationSchemes(AccessTokenAuthentication.Scheme).RequireAuthenticatedUser().RequireScope(Scope))
            .WithTags("Ingestion")
            .DisableAntiforgery();
        ingest.MapPost("/records", DepositOne)
            .WithName("DepositRecord").WithSummary("Deposit one record for a linked resident under their storage consent");
        ingest.MapPost("/records:batch", DepositBatch)
            .WithName("DepositRecords").WithSummary("Deposit up to 100 records; one result per item");
        ingest.MapPost("/ngsi-ld/notify", NgsiLdNotification.Handle)
            .WithName("NgsiLdNotify").WithSummary("Receive an NGSI-LD notification from a context broker and store its entities");
        return endpoints;
    }

    internal static async Task<IResult> DepositOne(HttpContext context, IDbContextFactory<DataTrustDbContext> contexts, RecordDeposits deposits, CancellationToken cancellationToken)
    {
        var key = context.Request.Headers[IdempotencyHeader].ToString();
        if (context.Request.Headers[IdempotencyHeader].Count > 1 || (key.Length > 0 && !IsValidKey(key)))
        {
            return BadRequest($"{IdempotencyHeader} must be one value of 1 to {VaultDepositConfiguration.MaxIdempotencyKeyLength} printable ASCII characters.");
        }

        if (await ReadJsonAsync(context, cancellationToken) is not { } body)
        {
            return BadRequest("The body must be one JSON object (Content-Type: application/json).");
        }

        using (body)
        {
            if (ParseItem(body.RootElement, allowKey: false) is not { } parsed)
            {
                return BadRequest("The body must be { \"linkId\": string, \"category\": string, \"fields\": object } and nothing else.");
            }

            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var outcome = await deposits.DepositAsync(db, ClientId(context), [parsed.Item], key.Length > 0 ? key : null, cancellationToken);
            return ToResult(outcome, single: true);
        }
    }

    internal static async Task<IResult> DepositBatch(HttpContext context, IDbContextFactory<DataTrustDbContext> contexts, RecordDeposits deposits, CancellationToken cancellationToken)
    {
        if (context.Request.Headers.ContainsKey(IdempotencyHeader))
        {
            return BadRequest($"A batch is not one request to repeat: give each record its own \"idempotencyKey\" instead of the {IdempotencyHeader} header.");
        }

        using var body = await ReadJsonAsync(context, cancellationToken);
        if (body?.RootElement is not { ValueKind: JsonValueKind.Object } root ||
            !root.TryGetProperty("records", out var records) || records.ValueKind != JsonValueKind.Array ||
            root.EnumerateObject().Count() != 1)
        {
            return BadRequest("The body must be { \"records\": [ { \"linkId\", \"category\", \"fields\", \"idempotencyKey\"? }, … ] }.");
        }

        var count = records.GetArrayLength();
        if (count is 0 or > MaxBatch)
        {
            return BadRequest($"A batch holds 1 to {MaxBatch} records.");
        }

        var results = new List<BatchItemResult>();
        var index = 0;
        var providerId = ClientId(context);
        foreach (var element in records.EnumerateArray())
        {
            var parsed = ParseItem(element, allowKey: true);
            if (parsed is null)
            {
                results.Add(new BatchItemResult(index++, StatusCodes.Status400BadRequest, null, "Malformed record",
                    [new("record", "must be { \"linkId\": string, \"category\": string, \"fields\": object, \"idempotencyKey\"?: string }")]));
                continue;
            }

            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var outcome = await deposits.DepositAsync(db, providerId, [parsed.Item], parsed.Key, cancellationToken);
            var (status, title, _) = Describe(outcome.Status);
            results.Add(new BatchItemResult(index++, status, outcome.RecordIds.Count > 0 ? outcome.RecordIds[0] : null,
                outcome.Status is DepositStatus.Stored or DepositStatus.Replayed ? null : title,
                outcome.Status is DepositStatus.Stored or DepositStatus.Replayed ? null : [.. outcome.Problems.Select(p => new FieldProblem(p.Field, p.Problem))]));
        }

        return TypedResults.Ok(new BatchResult(results.Count(r => r.Status == StatusCodes.Status201Created), results.Count(r => r.Status != StatusCodes.Status201Created), results));
    }

    internal static IResult ToResult(DepositOutcome outcome, bool single)
    {
        var (status, title, detail) = Describe(outcome.Status);
        if (outcome.Status is DepositStatus.Stored or DepositStatus.Replayed)
        {
            return single
                ? TypedResults.Json(new DepositedRecord(outcome.RecordIds[0]), statusCode: StatusCodes.Status201Created)
                : TypedResults.Json(new DepositedRecords(outcome.RecordIds), statusCode: StatusCodes.Status201Created);
        }

        return TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["errors"] = outcome.Problems.Select(p => single ? (object)new FieldProblem(p.Field, p.Problem) : p).ToList(),
        });
    }

    private static (int Status, string Title, string Detail) Describe(DepositStatus status) => status switch
    {
        DepositStatus.Stored or DepositStatus.Replayed => (StatusCodes.Status201Created, "Stored", "Stored."),
        DepositStatus.Invalid => (StatusCodes.Status422UnprocessableEntity, "Invalid record", "The record does not match its category in the policy; nothing was stored. See errors."),
        DepositStatus.UnknownLink => (StatusCodes.Status404NotFound, "Unknown link", "No resident has an active link to this provider with that link id; nothing was stored."),
        DepositStatus.NoConsent => (StatusCodes.Status403Forbidden, "No storage consent", "The resident has not given this provider consent to store this category; nothing was stored."),
        DepositStatus.KeyReused => (StatusCodes.Status422UnprocessableEntity, "Idempotency key reused", "This Idempotency-Key was already used with a different request; nothing was stored."),
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    internal static string ClientId(HttpContext context) =>
        context.User.FindFirst(AccessTokenAuthentication.ClientIdClaim)?.Value ?? throw new InvalidOperationException("An authenticated provider has a client_id.");

    internal static IResult BadRequest(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: "Malformed request");

    /// <summary>The body as JSON when the content type is JSON (or JSON-LD) and it parses; null otherwise. The parser's message is dropped: it can quote the payload.</summary>
    internal static async Task<JsonDocument?> ReadJsonAsync(HttpContext context, CancellationToken cancellationToken, bool allowJsonLd = false)
    {
        var type = context.Request.ContentType?.Split(';')[0].Trim() ?? "";
        if (!type.Equals("application/json", StringComparison.OrdinalIgnoreCase) &&
            !(allowJsonLd && type.Equals("application/ld+json", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 32 }, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ParsedItem? ParseItem(JsonElement element, bool allowKey)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string? linkId = null, category = null, key = null;
        JsonElement? fields = null;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "linkId" when property.Value.ValueKind == JsonValueKind.String && linkId is null:
                    linkId = property.Value.GetString();
                    break;
                case "category" when property.Value.ValueKind == JsonValueKind.String && category is null:
                    category = property.Value.GetString();
                    break;
                case "fields" when fields is null:
                    fields = property.Value;
                    break;
                case "idempotencyKey" when allowKey && property.Value.ValueKind == JsonValueKind.String && key is null && IsValidKey(property.Value.GetString()!):
                    key = property.Value.GetString();
                    break;
                default:
                    return null;
            }
        }

        return linkId is null || category is null || fields is null ? null : new ParsedItem(new DepositItem(linkId, category, fields.Value), key);
    }

    internal static bool IsValidKey(string key) =>
        key.Length is > 0 and <= VaultDepositConfiguration.MaxIdempotencyKeyLength && key.All(c => c is >= '!' and <= '~');

    private sealed record ParsedItem(DepositItem Item, string? Key);
}

internal sealed record DepositedRecord(Guid RecordId);

internal sealed record DepositedRecords(IReadOnlyList<Guid> RecordIds);

/// <param name="Status">201 stored (or repeated with the same key), otherwise the status a single request would have had.</param>
internal sealed record BatchItemResult(int Index, int Status, Guid? RecordId, string? Title, IReadOnlyList<FieldProblem>? Errors);

internal sealed record BatchResult(int Stored, int Refused, IReadOnlyList<BatchItemResult> Results);
