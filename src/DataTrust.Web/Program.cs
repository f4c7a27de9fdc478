using DataTrust;
using DataTrust.Common;
using DataTrust.Web;

var builder = WebApplication.CreateBuilder(args);
builder.AddDataTrust();
builder.AddPortal();
var app = builder.Build();

try
{
    await app.Services.PrepareDataTrustAsync(app.Environment, app.Lifetime.ApplicationStopping);
}
catch (StartupException ex)
{
    await Console.Error.WriteLineAsync($"DataTrust cannot start: {ex.Message}");
    return 1;
}

app.UseDataTrust();
app.MapPortal();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to the test host.</summary>
public partial class Program;
