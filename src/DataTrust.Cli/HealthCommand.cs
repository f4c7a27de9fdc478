using System.CommandLine;

namespace DataTrust.Cli;

/// <summary>
/// <c>datatrust health [--url URL]</c>: exit 0 when the service answers ready, 1 otherwise. Container
/// images have no curl, so compose and exec probes use this.
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var url = new Option<Uri>("--url")
        {
            Description = "Readiness endpoint to ask.",
            DefaultValueFactory = _ => new Uri("http://127.0.0.1:8080/health/ready"),
        };
        var health = new Command("health", "Ask a running service whether it is ready (exit 0) or not (exit 1).") { url };
        health.SetAction(async (parse, cancellationToken) =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            try
            {
                using var response = await http.GetAsync(parse.GetValue(url), cancellationToken);
                Console.WriteLine($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                await Console.Error.WriteLineAsync($"datatrust: the service did not answer: {ex.Message}");
                return 1;
            }
        });
        return health;
    }
}
