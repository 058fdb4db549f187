package dev.portsicle.cli;

public final class Main {
    public static void main(String[] args) {
    }
}
