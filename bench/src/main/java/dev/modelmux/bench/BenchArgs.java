package dev.modelmux.bench;

/** {@code --name value} flags of the bench commands. */
final class BenchArgs {
    private BenchArgs() {}

    static int intArg(String[] args, String name, int dflt) {
        String s = stringArg(args, name, null);
        return s == null ? dflt : Integer.parseInt(s);
    }

    static String stringArg(String[] args, String name, String dflt) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return dflt;
    }
}
