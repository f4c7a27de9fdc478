using System.CommandLine;
using System.Globalization;
using DataTrust.Audit.Events;
using DataTrust.Identity;
using DataTrust.Identity.Keys;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DataTrust.Cli;

/// <summary>
/// <c>datatrust keys rotate-signing [--publish-delay 01:00:00]</c> and <c>datatrust keys list-signing</c>: token-signing
/// key rotation. A new key is published at once and signs after the delay; the old one stays published
/// until the tokens it signed have expired. (deploy/runbooks describe when to rotate.)
/// </summary>
internal static class SigningKeyCommands
{
    /// <summary>The subcommands of <c>datatrust keys</c> for token-signing keys.</summary>
    public static IEnumerable<Command> Create()
    {
        var publishDelay = new Option<TimeSpan?>("--publish-delay")
        {
            Description = "How long the new key is published before it signs (default DataTrust:Identity:KeyPublishDelay, 1 hour). "
                + "Keep it longer than relying parties cache the JWK Set.",
        };
        var rotate = new Command("rotate-signing", "Start a rotation of the token-signing keys (ES256 and RS256).") { publishDelay };
        rotate.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            var delay = parse.GetValue(publishDelay) ?? services.GetRequiredService<IOptions<OidcOptions>>().Value.KeyPublishDelay;
            var created = await services.GetRequiredService<SigningKeyStore>().RotateAsync(delay, AuditActor.System("cli"), ct);
            if (created.Count == 0)
            {
                await Console.Error.WriteLineAsync("datatrust: a rotation is already under way (a key waits to start signing); see 'datatrust keys list-signing'.");
                return 1;
            }

            foreach (var key in created)
            {
                Console.WriteLine($"{key.Algorithm} key {key.KeyId} is published now and signs from {key.SignsFrom.ToString("u", CultureInfo.InvariantCulture)}.");
            }

            return 0;
        }, cancellationToken));

        var list = new Command("list-signing", "Show the signing keys: algorithm, id, and when each signs and stays published.");
        list.SetAction((parse, cancellationToken) => CliHost.Run(parse, async (services, _, ct) =>
        {
            foreach (var key in await services.GetRequiredService<SigningKeyStore>().ListAsync(ct))
            {
                Console.WriteLine(string.Join("  ",
                    key.Algorithm,
                    key.KeyId,
                    "signs " + Time(key.SignsFrom) + " → " + (key.SignsUntil is { } until ? Time(until) : "(current)"),
                    "published until " + (key.PublishedUntil is { } published ? Time(published) : "(current)")));
            }

            return 0;
        }, cancellationToken));
        return [rotate, list];
    }

    private static string Time(DateTimeOffset value) => value.ToString("u", CultureInfo.InvariantCulture);
}
