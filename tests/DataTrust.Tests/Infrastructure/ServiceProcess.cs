using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DataTrust.Tests.Infrastructure;

/// <summary>
/// The real service binary running as its own process on a free loopback port, with a fresh data
/// directory; killed and cleaned up on dispose. For tests that drive it from outside (node, browsers).
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, string directory, Uri baseAddress)
    {
        _process = process;
        _directory = directory;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>What the service wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ServiceProcess> StartAsync(string environment, IReadOnlyDictionary<string, string>? settings = null)
    {
        var directory = Directory.CreateTempSubdirectory("datatrust-service-").FullName;
        var port = FreePort();
        var start = StartInfo(environment, directory, port, new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["RateLimiting__Sensitive__Burst"] = "1000",
            ["RateLimiting__Sensitive__PermitsPerMinute"] = "6000",
        });
        var process = Process.Start(start)!;
        var service = new ServiceProcess(process, directory, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await service.WaitUntilReadyAsync();
        return service;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still held briefly after the kill; the temp cleaner takes it
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                if ((await http.GetAsync(new Uri(BaseAddress, "/health/ready"))).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // slow first request
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the service did not become ready:\n{Output}");
    }

    /// <summary>
    /// How to start the built service binary (src/DataTrust.Web's output for this test build) on a loopback
    /// port with its data in <paramref name="directory"/>. Outside Development it gets the settings
    /// Production requires (issuer, vault key, audit pseudonym key); <paramref name="settings"/> override them.
    /// </summary>
    internal static ProcessStartInfo StartInfo(string environment, string directory, int port, IReadOnlyDictionary<string, string> settings)
    {
        var serviceDirectory = AppContext.BaseDirectory.Replace(
            Path.Combine("tests", "DataTrust.Tests"), Path.Combine("src", "DataTrust.Web"), StringComparison.Ordinal);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(serviceDirectory, "DataTrust.Web.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        start.Environment["DataTrust__DataDirectory"] = Path.Combine(directory, "data");
        if (environment != "Development")
        {
            start.Environment["DataTrust__Issuer"] = $"http://127.0.0.1:{port}";
            start.Environment["Vault__Keys__1"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            start.Environment["Audit__PseudonymKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        return start;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
