using System.CommandLine;
using DataTrust.Cli;

var root = new RootCommand("datatrust: operate a DataTrust information bank from the command line.")
{
    CliHost.DataDirectory,
    CliHost.Environment,
    DbCommands.Create(),
    SeedCommand.Create(),
    KeysCommands.Create(),
    HealthCommand.Create(),
    PolicyCommand.Create(),
    JobsCommand.Create(),
    AuditCommands.Create(),
    ClientsCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
