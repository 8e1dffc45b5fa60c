namespace Checkpointing.Tool.Cli;

/// <summary>The tool's exit codes: scripts rely on them.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked and found nothing wrong.</summary>
    public const int Success = 0;

    /// <summary>Problems were found (damage, a failed run) or the command was refused (an owned card, an existing card, nothing to act on).</summary>
    public const int Problem = 1;

    /// <summary>The command line was wrong: an unknown command or option, a bad value, a store that cannot be named so.</summary>
    public const int Usage = 2;
}
