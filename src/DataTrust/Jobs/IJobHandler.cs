using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DataTrust.Jobs;

/// <summary>
/// Runs the jobs of one kind. Register with
/// <see cref="JobsServiceCollectionExtensions.AddJobHandler{THandler}"/>; one instance per run, from a fresh DI scope.
/// <para>
/// The contract: <b>a handler may run more than once for one job</b> — after a failure (retry), after a
/// worker died or lost its database connection mid-run (the lease expires and another worker takes
/// over), or after a shutdown outlasted the host's shutdown timeout. So a handler must be idempotent:
/// make its effect conditional on <see cref="JobContext.IdempotencyKey"/> (stable across attempts) or
/// write it in one transaction that also records that it is done.
/// </para>
/// <para>
/// The cancellation token fires when the worker lost the lease (another worker owns the job now) or
/// when the host's shutdown timeout ran out; stop promptly, the job runs again elsewhere.
/// A handler succeeds by returning and fails by throwing. The exception's type and message are stored
/// as the job's last error and shown to operators: never put personal data in them.
/// </para>
/// <para>
/// Payloads should carry identifiers (a pseudonymous resident reference, a record id), not personal
/// data: the job table is not encrypted and keeps finished jobs until they are purged
/// (<c>Jobs:RetainSucceededFor</c>, <c>Jobs:RetainDeadLetteredFor</c>), so erasing a resident does not reach them.
/// </para>
/// </summary>
internal interface IJobHandler
{
    Task HandleAsync(JobContext job, CancellationToken cancellationToken);
}

/// <summary>What a handler knows about the run it is in.</summary>
internal sealed record JobContext(
    Guid JobId,
    string Kind,
    int Attempt,
    int MaxAttempts,
    string IdempotencyKey,
    string WorkerId,
    string Payload)
{
    /// <summary>The payload as <typeparamref name="T"/> (JSON, web defaults: camelCase).</summary>
    public T ReadPayload<T>() =>
        JsonSerializer.Deserialize<T>(Payload, JsonSerializerOptions.Web)
        ?? throw new JsonException($"The payload of job {JobId} is null.");

    /// <summary>Everything but the payload, so that logging a context never logs personal data.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"JobId = {JobId}, Kind = {Kind}, Attempt = {Attempt}/{MaxAttempts}, WorkerId = {WorkerId}, Payload = ({Payload.Length} chars)");
        return true;
    }
}
