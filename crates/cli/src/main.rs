fn main() {
    eprintln!("meetcrypt: no commands yet");
    std::process::exit(2);
}
